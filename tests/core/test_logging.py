import logging

from inservice.core.logging import MaskPersonalDataFilter


def test_id_numbers_are_masked_in_log_records():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "lookup %s for A123456789", ("B223456780",), None
    )
    MaskPersonalDataFilter().filter(record)
    message = record.getMessage()
    assert "A123456789" not in message and "B223456780" not in message
