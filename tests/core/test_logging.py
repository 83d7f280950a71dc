import logging

from inservice.core.logging import MaskPersonalDataFilter


def test_id_numbers_are_masked_in_log_records():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "lookup %s for A123456789", ("B223456780",), None
    )
    MaskPersonalDataFilter().filter(record)
    message = record.getMessage()
    assert "A123456789" not in message and "B223456780" not in message


def test_ids_glued_to_chinese_dict_args_and_tracebacks_are_masked():
    f = MaskPersonalDataFilter()
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "證號A123456789錯誤", None, None)
    f.filter(record)
    assert "A123456789" not in record.getMessage()
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "%(id)s", ({"id": "B223456780"},), None
    )
    f.filter(record)
    assert "B223456780" not in record.getMessage()
    try:
        raise ValueError("bad A123456789")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "oops", None, sys.exc_info())
    f.filter(record)
    assert "A123456789" not in record.exc_text
