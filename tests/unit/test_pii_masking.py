"""Personal data is masked before any log line is written."""
import io
import json
import logging

import structlog
from hypothesis import given
from hypothesis import strategies as st

from chassis import logs
from chassis.pii import mask, mask_text

DIGITS = "0123456789"
# Mainland mobile number blocks (13x, 145-149, 150-159 but 154, 162/165-167, 170-178, 18x, 19x but 194).
MOBILE_BLOCKS = [f"13{d}" for d in DIGITS] + ["145", "146", "147", "148", "149"] + [
    f"15{d}" for d in "012356789"] + ["162", "165", "166", "167"] + [
    f"17{d}" for d in "012345678"] + [f"18{d}" for d in DIGITS] + [f"19{d}" for d in "012356789"]
# Area codes: Beijing, the big cities' two-digit ones, and provincial four-digit ones (Jinhua 0579).
AREA_CODES = ["010", "020", "021", "022", "023", "024", "025", "027", "028", "029", "0571",
              "0574", "0579", "0311", "0431", "0755", "0871", "0991"]

# As people type them: +86 or 0086 in front, spaces or dashes between digit groups.
PREFIXES = ["", "", "+86", "+86 ", "0086", "0086-"]


@st.composite
def mobiles(draw):
    block = draw(st.sampled_from(MOBILE_BLOCKS))
    rest = draw(st.text(DIGITS, min_size=8, max_size=8))
    gap = draw(st.sampled_from(["", " ", "-"]))
    typed = draw(st.sampled_from(PREFIXES)) + block + gap + rest[:4] + gap + rest[4:]
    return typed, {f"{block}****{rest[-4:]}"}


@st.composite
def landlines(draw):
    area = draw(st.sampled_from(AREA_CODES))
    # Subscriber numbers never start with 0 or 1; three-digit areas have eight digits.
    length = 8 if len(area) == 3 else draw(st.sampled_from([7, 8]))
    number = draw(st.sampled_from("23456789")) + draw(st.text(DIGITS, min_size=length - 1,
                                                              max_size=length - 1))
    style = draw(st.sampled_from(["dash", "space", "brackets", "run-on"]))
    typed = {"dash": f"{area}-{number}", "space": f"{area} {number}",
             "brackets": f"({area}){number}", "run-on": f"{area}{number}"}[style]
    # Run on (057982345678), the area code's length is a guess: only three digits are shown.
    shown = area[:3] if style == "run-on" else area
    return typed, {f"{shown}-****{number[-2:]}"}


# Anything but a digit next to a number (one digit more and it is another number); digits of
# any script count, as the masking's \d does.
separators = st.characters(exclude_categories=("Nd",))
# The words around them hold no digit either: "0000000.13000000000" is one run of digits with a
# dot in it, which may be masked as a whole (more hidden, never less), not as the mobile alone.
surrounding = st.text(st.characters(codec="utf-8", exclude_categories=("Nd",))
                      | st.sampled_from("电话手机座机：:，, ()号码"), max_size=12)


def test_id_numbers_and_phones_inside_free_text_are_masked():
    text = mask_text("veteran 33070319680517001X called from 13857912345 and 0579-82345678")
    assert "33070319680517001X" not in text and "13857912345" not in text
    assert "82345678" not in text
    assert "3307**********001X" in text


@given(parts=st.lists(st.tuples(surrounding, separators, mobiles() | landlines(), separators),
                     min_size=1, max_size=3), tail=surrounding)
def test_any_real_phone_number_in_free_text_is_masked(parts, tail):
    text = "".join(before + left + number + right for before, left, (number, _), right in parts)
    masked = mask_text(text + tail)
    for _, _, (number, renderings), _ in parts:
        assert number not in masked
        assert any(rendering in masked for rendering in renderings), (number, masked)


def test_personal_fields_are_hidden_whatever_their_value():
    masked = mask({"phone": "whatever", "address": "金东区光南路1号", "name": "王芳",
                   "nested": [{"id_number": "x"}]})
    assert masked == {"phone": "***", "address": "***", "name": "王芳",
                      "nested": [{"id_number": "***"}]}


def test_a_log_line_from_structlog_or_a_library_never_carries_an_id_number():
    stream = io.StringIO()
    logs.configure("test", stream=stream)
    structlog.get_logger("t").info("registered 330703196805170011", phone="13857912345")
    logging.getLogger("kombu").warning("payload %s", {"id_number": "330703196805170011"})
    try:
        raise ValueError("bad number 330703196805170011")
    except ValueError:
        structlog.get_logger("t").exception("failed")
    output = stream.getvalue()
    lines = [json.loads(line) for line in output.splitlines()]
    assert len(lines) == 3
    assert "330703196805170011" not in output and "13857912345" not in output
