"""ID numbers: the three formats, exact reasons, normalisation, protection at rest, the idcheck
command, and masking in logs."""

import base64
import io
import logging

import pytest
from django.core.management import call_command

from inservice.core import idnumbers
from inservice.core.logging import MaskPersonalDataFilter

REASON_LENGTH_9 = "證號須為 10 碼，目前為 9 碼。"
REASON_LENGTH_11 = "證號須為 10 碼，目前為 11 碼。"
REASON_FIRST = "第 1 碼須為英文字母。"
REASON_SECOND = "第 2 碼須為 1、2（身分證）、8、9（新式居留證號）或 A–D（舊式居留證號）。"
REASON_DIGITS = "第 3 到第 10 碼須為數字。"
REASON_CHECK = "檢查碼錯誤，請確認證號是否輸入正確。"
REASON_EMPTY = "未填寫證號。"
REASON_ASCII = "證號只能包含英文字母與數字。"

# Letter table of the Ministry of the Interior, written out independently of the module.
LETTERS = "ABCDEFGHJKLMNPQRSTUVXYWZIO"


def reference_valid(value: str) -> bool:
    """An independent implementation of the weighted checksum (for cross-checking)."""
    first = LETTERS.index(value[0]) + 10
    if value[1].isdigit():
        second = int(value[1])
    else:
        second = (LETTERS.index(value[1]) + 10) % 10
    digits = [first // 10, first % 10, second] + [int(c) for c in value[2:]]
    weights = [1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1]
    return sum(d * w for d, w in zip(digits, weights, strict=True)) % 10 == 0


NATIONAL_VALID = ["A123456789", "B200000004", "Z198765436"]
RESIDENT_NEW_VALID = ["A800000014", "F912345678"]
RESIDENT_OLD_VALID = ["AB12345677", "FA12345670", "KC23456780"]


@pytest.mark.parametrize("value", NATIONAL_VALID)
def test_valid_national_ids(value):
    assert reference_valid(value)
    assert idnumbers.classify(value) == (value, idnumbers.NATIONAL)


@pytest.mark.parametrize("value", RESIDENT_NEW_VALID)
def test_valid_new_resident_numbers(value):
    assert reference_valid(value)
    assert idnumbers.classify(value) == (value, idnumbers.RESIDENT_NEW)


@pytest.mark.parametrize("value", RESIDENT_OLD_VALID)
def test_valid_old_resident_numbers(value):
    assert reference_valid(value)
    assert idnumbers.classify(value) == (value, idnumbers.RESIDENT_OLD)


@pytest.mark.parametrize(
    "value, reason",
    [
        ("", REASON_EMPTY),
        ("   ", REASON_EMPTY),
        ("A12345678", REASON_LENGTH_9),
        ("A1234567890", REASON_LENGTH_11),
        ("1123456789", REASON_FIRST),
        ("#123456789", REASON_FIRST),
        ("A323456789", REASON_SECOND),  # national/new resident need 1, 2, 8 or 9
        ("A023456789", REASON_SECOND),
        ("AE23456789", REASON_SECOND),  # old resident second letter only A–D
        ("AZ23456789", REASON_SECOND),
        ("A12345678X", REASON_DIGITS),
        ("AB1234567C", REASON_DIGITS),
        ("A1234A6789", REASON_DIGITS),
        ("A123456788", REASON_CHECK),  # national, last digit off by one
        ("A800000015", REASON_CHECK),  # new resident
        ("AB12345678", REASON_CHECK),  # old resident
        ("B123456789", REASON_CHECK),  # same digits, other letter
        ("甲123456789", REASON_ASCII),
    ],
)
def test_invalid_values_give_the_exact_reason(value, reason):
    with pytest.raises(idnumbers.InvalidIdNumber) as excinfo:
        idnumbers.classify(value)
    assert excinfo.value.reason == reason


def test_only_one_check_digit_completes_a_number():
    for prefix in ("A12345678", "A80000001", "AB1234567"):
        completing = [d for d in "0123456789" if reference_valid(prefix + d)]
        assert len(completing) == 1
        assert idnumbers.check_digit_for(prefix) == completing[0]
        for d in "0123456789":
            if d != completing[0]:
                with pytest.raises(idnumbers.InvalidIdNumber):
                    idnumbers.classify(prefix + d)


@pytest.mark.parametrize(
    "raw",
    [
        "A123456789",
        "a123456789",  # lower case
        "Ａ１２３４５６７８９",  # full-width letters and digits
        "ａ１２３４５６７８９",  # full-width lower case
        "  A123456789  ",  # outer spaces
        "A 123 456 789",  # inner spaces
        "A123\u3000456789",  # full-width (ideographic) space
        "\tA123456789\n",
        "A12-345-6789",  # hyphens as typed from a form
        "Ａ12345678９",  # mixed widths
    ],
)
def test_normalisation(raw):
    assert idnumbers.normalize(raw) == "A123456789"
    assert idnumbers.classify(raw) == ("A123456789", idnumbers.NATIONAL)
    assert idnumbers.digest(raw) == idnumbers.digest("A123456789")


def test_old_resident_lower_case_and_full_width():
    assert idnumbers.classify("ａｂ12345677") == ("AB12345677", idnumbers.RESIDENT_OLD)


def test_digest_differs_between_people_and_is_keyed(settings):
    assert idnumbers.digest("A123456789") != idnumbers.digest("B200000004")
    first = idnumbers.digest("A123456789")
    assert "A123456789" not in first and len(first) == 64
    settings.ID_HMAC_KEY = "another-key-for-this-test"
    assert idnumbers.digest("A123456789") != first


def test_mask_shows_only_first_letter_and_last_three():
    assert idnumbers.mask("A123456789") == "A******789"
    assert idnumbers.protect("a123456789").hint == "A******789"


def _key(byte: bytes) -> str:
    return base64.b64encode(byte * 32).decode()


def test_encrypt_decrypt_round_trip_is_randomised():
    one = idnumbers.encrypt("A123456789")
    two = idnumbers.encrypt("A123456789")
    assert one != two  # fresh nonce each time
    assert b"A123456789" not in one
    assert idnumbers.decrypt(one) == idnumbers.decrypt(two) == "A123456789"


def test_key_rotation_keeps_old_blobs_readable(settings):
    settings.ID_ENCRYPTION_KEYS = f"old:{_key(b'o')}"
    old_blob = idnumbers.encrypt("A123456789")
    assert old_blob[1:4] == b"old"

    # Rotation: the new key comes first (encrypts), the old one stays for decryption.
    settings.ID_ENCRYPTION_KEYS = f"new:{_key(b'n')},old:{_key(b'o')}"
    new_blob = idnumbers.encrypt("F912345678")
    assert new_blob[1:4] == b"new"
    assert idnumbers.decrypt(old_blob) == "A123456789"
    assert idnumbers.decrypt(new_blob) == "F912345678"

    # Once the old key is retired, its blobs no longer decrypt (they must be re-encrypted).
    settings.ID_ENCRYPTION_KEYS = f"new:{_key(b'n')}"
    assert idnumbers.decrypt(new_blob) == "F912345678"
    with pytest.raises(KeyError):
        idnumbers.decrypt(old_blob)


def test_tampered_ciphertext_is_rejected():
    from cryptography.exceptions import InvalidTag

    blob = bytearray(idnumbers.encrypt("A123456789"))
    blob[-1] ^= 0x01
    with pytest.raises(InvalidTag):
        idnumbers.decrypt(bytes(blob))


def test_protect_validates_first():
    with pytest.raises(idnumbers.InvalidIdNumber) as excinfo:
        idnumbers.protect("A123456788")
    assert excinfo.value.reason == REASON_CHECK
    protected = idnumbers.protect("f912345678")
    assert protected.kind == idnumbers.RESIDENT_NEW
    assert idnumbers.decrypt(protected.encrypted) == "F912345678"
    assert protected.digest == idnumbers.digest("F912345678")


def test_idcheck_command_output():
    out = io.StringIO()
    call_command(
        "idcheck",
        "A123456789",
        "A800000014",
        "AB12345677",
        "A123456788",
        "A12345678",
        "AE23456789",
        "a123456789",
        stdout=out,
    )
    assert out.getvalue().splitlines() == [
        "A123456789: national-id",
        "A800000014: resident-new",
        "AB12345677: resident-old",
        f"A123456788: invalid ({REASON_CHECK})",
        f"A12345678: invalid ({REASON_LENGTH_9})",
        f"AE23456789: invalid ({REASON_SECOND})",
        "a123456789: national-id",
    ]


# --- logs ---------------------------------------------------------------------------------


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def capture():
    logger = logging.getLogger("inservice.test.idmask")
    handler = _Capture()
    handler.addFilter(MaskPersonalDataFilter())
    logger.addHandler(handler)
    logger.propagate = False
    yield logger, handler
    logger.removeHandler(handler)
    logger.propagate = True


@pytest.mark.parametrize(
    "msg, args",
    [
        ("signed up with A123456789", ()),
        ("signed up with %s", ("A123456789",)),
        ("lower case %s and %s", ("a123456789", "AB12345677")),
        ("user %s has id %s (%d tries)", ("wang", "F912345678", 3)),
    ],
)
def test_log_filter_masks_id_numbers(capture, msg, args):
    logger, handler = capture
    logger.warning(msg, *args)
    (line,) = handler.lines
    for value in ("A123456789", "a123456789", "AB12345677", "F912345678"):
        assert value not in line
    assert "**********" in line


def test_log_filter_keeps_other_text(capture):
    logger, handler = capture
    logger.warning("course %s has %d seats", "1609661", 30)
    assert handler.lines == ["course 1609661 has 30 seats"]


def test_configured_console_handler_masks(settings):
    """The project's LOGGING puts the filter on the console handler."""
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["mask_personal"]
    root = logging.getLogger()
    handlers = [
        h for h in root.handlers if any(isinstance(f, MaskPersonalDataFilter) for f in h.filters)
    ]
    assert handlers, "the root logger has no handler with MaskPersonalDataFilter"
    stream = io.StringIO()
    old = handlers[0].setStream(stream)
    try:
        logging.getLogger("inservice.anything").error("lookup failed for %s", "A123456789")
    finally:
        handlers[0].setStream(old)
    assert "lookup failed for **********" in stream.getvalue()
    assert "A123456789" not in stream.getvalue()
