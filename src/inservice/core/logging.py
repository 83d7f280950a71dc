"""Log filter that masks anything shaped like a Taiwanese ID number, wherever it appears."""

import logging
import re

# Not preceded by a letter/digit and not followed by a digit, so IDs glued to Chinese text match.
ID_PATTERN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9][0-9]{8}(?![0-9])")
MASK = "**********"


def _mask(text):
    return ID_PATTERN.sub(MASK, text) if isinstance(text, str) else text


class MaskPersonalDataFilter(logging.Filter):
    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a malformed record must not leak its arguments in an error dump
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = _mask(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = _mask(record.exc_text)
        record.stack_info = _mask(record.stack_info)
        return True
