"""Stories about the resident ID number: which numbers the bureau accepts, and how it hides them."""

from datetime import date

import pytest
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from chassis.pii import mask_id_number, mask_text
from services.registry.domain.errors import InvalidIdNumber
from services.registry.domain.id_number import ResidentIdNumber, parse_id_number

TODAY = date(2020, 12, 31)
JINDONG = "330703"  # 金东区, created in 2000


def id_number(area: str = JINDONG, birth: str = "19680512", sequence: str = "123") -> str:
    """A well-formed number; calc_check_digit ignores the last character it is given."""
    body = area + birth + sequence
    return body + ric.calc_check_digit(body + "?")


def with_wrong_check(number: str) -> str:
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def one_ending_in_x() -> str:
    for sequence in range(1, 1000):
        number = id_number(sequence=f"{sequence:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence gives an X check character")


def test_a_jindong_veteran_born_before_the_district_existed_is_accepted():
    number = id_number(JINDONG, "19680512", "123")
    # stdnum's own validate refuses it, because 330703 is younger than its holder.
    with pytest.raises(ValidationError):
        ric.validate(number)

    parsed = parse_id_number(number, TODAY)

    assert parsed.number == number
    assert parsed.area_code == JINDONG
    assert parsed.birth_date == date(1968, 5, 12)
    assert parsed.sex == "male"
    assert parsed.area_code_known is True


def test_an_area_code_unknown_to_the_database_is_accepted_and_flagged_for_review():
    parsed = parse_id_number(id_number(area="999999", birth="19750301"), TODAY)

    assert parsed.area_code == "999999"
    assert parsed.area_code_known is False


def test_a_county_missing_under_a_known_province_is_flagged_too():
    assert parse_id_number(id_number(area="330799"), TODAY).area_code_known is False


@pytest.mark.parametrize(
    ("sequence", "sex"),
    [("123", "male"), ("001", "male"), ("999", "male"), ("124", "female"), ("000", "female")],
)
def test_the_sequence_digit_parity_gives_the_holder_s_sex(sequence, sex):
    assert parse_id_number(id_number(sequence=sequence), TODAY).sex == sex


def test_a_number_typed_with_spaces_and_a_lowercase_x_is_compacted():
    number = one_ending_in_x()
    typed = f" {number[:6]} {number[6:14]} {number[14:].lower()} "

    parsed = parse_id_number(typed, TODAY)

    assert parsed.number == number
    assert parsed.number.endswith("X")


def test_a_number_typed_with_a_chinese_input_method_s_full_width_digits_is_compacted():
    number = id_number()
    full_width = number.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})

    assert parse_id_number(full_width, TODAY).number == number


def test_someone_born_today_is_accepted():
    parsed = parse_id_number(id_number(birth=TODAY.strftime("%Y%m%d")), TODAY)

    assert parsed.birth_date == TODAY


def test_a_birth_date_from_1900_is_accepted():
    assert parse_id_number(id_number(birth="19000101"), TODAY).birth_date == date(1900, 1, 1)


VALID = id_number()

REJECTED = {
    "too short": (VALID[:-1], "18 characters long, not 17"),
    "too long": (VALID + "1", "18 characters long, not 19"),
    "empty": ("", "18 characters long, not 0"),
    "a letter among the digits": (VALID[:8] + "A" + VALID[9:], "only digits"),
    "an X before the end": (VALID[:16] + "X" + VALID[17:], "only digits"),
    "month 13": (id_number(birth="19681301"), "not a real date"),
    "30 February": (id_number(birth="19680230"), "not a real date"),
    "day 00": (id_number(birth="19680500"), "not a real date"),
    "born after today": (id_number(birth="20210101"), "in the future"),
    "born before 1900": (id_number(birth="18991231"), "before 1900"),
    "wrong check character": (
        with_wrong_check(VALID),
        "check character does not match (ISO 7064 MOD 11-2)",
    ),
}


@pytest.mark.parametrize(("raw", "reason"), REJECTED.values(), ids=REJECTED.keys())
def test_a_bad_number_is_rejected_with_a_clear_reason_that_never_echoes_it(raw, reason):
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(raw, TODAY)

    error = caught.value
    assert error.code == "invalid_id_number"
    assert reason in str(error)
    assert any(reason in problem for problem in error.fields["id_number"])
    if raw:
        assert raw not in str(error)
        assert raw not in repr(error)
        assert all(raw not in problem for problem in error.fields["id_number"])


def test_something_that_is_not_text_is_rejected():
    with pytest.raises(InvalidIdNumber, match="must be text"):
        parse_id_number(None, TODAY)


def test_a_parsed_number_shows_no_part_of_itself():
    number = id_number(sequence="123")
    parsed = parse_id_number(number, TODAY)

    for shown in (repr(parsed), str(parsed), f"registering {parsed}"):
        assert number not in shown and number[-4:] not in shown and number[:6] not in shown


def test_parsed_numbers_compare_by_value():
    number = id_number()

    assert parse_id_number(number, TODAY) == parse_id_number(number.lower(), TODAY)
    assert isinstance(parse_id_number(number, TODAY), ResidentIdNumber)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("33070319680512123X", "3307**********123X"),
        # Malformed: hidden whole, never more shown than of a well-formed number.
        ("330703196805", "************"),
        ("3307031968051212345", "*******************"),
        ("12345678", "********"),
        ("", ""),
    ],
)
def test_mask_id_number_keeps_only_the_ends(number, masked):
    assert mask_id_number(number) == masked


def test_logs_mask_a_number_in_text_exactly_as_lists_do():
    """One masking function: what a log line shows is what a list row shows."""
    number = id_number()
    assert mask_text(f"file of {number} opened") == f"file of {mask_id_number(number)} opened"
