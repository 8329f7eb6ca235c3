"""Personal data is masked before any log line is written."""
import io
import json
import logging

import structlog

from chassis import logs
from chassis.pii import mask, mask_text


def test_id_numbers_and_phones_inside_free_text_are_masked():
    text = mask_text("veteran 33070319680517001X called from 13857912345 and 0579-82345678")
    assert "33070319680517001X" not in text and "13857912345" not in text
    assert "82345678" not in text
    assert "3307**********001X" in text


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
