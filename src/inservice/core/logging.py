"""Log filter that masks anything shaped like a Taiwanese ID number."""

import logging
import re

ID_PATTERN = re.compile(r"\b[A-Za-z][A-Za-z0-9][0-9]{8}\b")


class MaskPersonalDataFilter(logging.Filter):
    def filter(self, record):
        if isinstance(record.msg, str) and ID_PATTERN.search(record.msg):
            record.msg = ID_PATTERN.sub("**********", record.msg)
        if record.args:
            record.args = tuple(
                ID_PATTERN.sub("**********", a) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        return True
