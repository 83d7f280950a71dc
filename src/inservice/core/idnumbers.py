"""Taiwanese personal ID numbers: validation, normalisation, and protection at rest.

Three formats share one letter table and one weighted checksum:
- national ID (國民身分證統一編號): letter, sex digit 1/2, seven digits, check digit;
- resident certificate, 2021 format (新式外來人口統一證號): letter, 8/9, seven digits, check;
- resident certificate, old format (舊式): two letters, eight digits; the second letter counts
  with the units digit of its table value.
"""

from __future__ import annotations

import base64
import hmac
import os
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.utils.translation import gettext as _

LETTER_VALUES = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "I": 34,
    "J": 18, "K": 19, "L": 20, "M": 21, "N": 22, "O": 35, "P": 23, "Q": 24, "R": 25,
    "S": 26, "T": 27, "U": 28, "V": 29, "W": 32, "X": 30, "Y": 31, "Z": 33,
}  # fmt: skip
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 1)

NATIONAL = "national-id"
RESIDENT_NEW = "resident-new"
RESIDENT_OLD = "resident-old"
KIND_LABELS = {
    NATIONAL: "國民身分證",
    RESIDENT_NEW: "外來人口統一證號(新式)",
    RESIDENT_OLD: "外來人口統一證號(舊式)",
}


class InvalidIdNumber(ValueError):
    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def normalize(raw: str) -> str:
    """Full-width to half-width, drop every kind of space and hyphen, upper-case."""
    if raw and raw.isascii() and raw.isalnum():  # already plain (the common case): nothing to drop
        return raw.upper()
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-‐‑–—").upper()


def checksum_ok(first_letter_value: int, second_value: int, digits: str) -> bool:
    """The check-digit test: the letter's value, the second character's value, 8 digits."""
    total = (first_letter_value // 10) + (first_letter_value % 10) * 9 + second_value * 8
    total += sum(int(d) * w for d, w in zip(digits[:7], WEIGHTS[1:], strict=True))
    total += int(digits[7])
    return total % 10 == 0


def classify(raw: str) -> tuple[str, str]:
    """Return (normalised value, kind) or raise InvalidIdNumber with the exact reason."""
    value = normalize(raw)
    if not value:
        raise InvalidIdNumber(_("未填寫證號。"))
    if not value.isascii():
        raise InvalidIdNumber(_("證號只能包含英文字母與數字。"))
    if len(value) != 10:
        raise InvalidIdNumber(_("證號須為 10 碼，目前為 %(n)d 碼。") % {"n": len(value)})
    first, second, rest = value[0], value[1], value[2:]
    if first not in LETTER_VALUES:
        raise InvalidIdNumber(_("第 1 碼須為英文字母。"))
    if second.isdigit():
        if second in "12":
            kind = NATIONAL
        elif second in "89":
            kind = RESIDENT_NEW
        else:
            raise InvalidIdNumber(
                _("第 2 碼須為 1、2（身分證）、8、9（新式居留證號）或 A–D（舊式居留證號）。")
            )
        second_value = int(second)
    elif second in "ABCD":
        kind = RESIDENT_OLD
        second_value = LETTER_VALUES[second] % 10
    else:
        raise InvalidIdNumber(
            _("第 2 碼須為 1、2（身分證）、8、9（新式居留證號）或 A–D（舊式居留證號）。")
        )
    if not rest.isdigit():
        raise InvalidIdNumber(_("第 3 到第 10 碼須為數字。"))
    if not checksum_ok(LETTER_VALUES[first], second_value, rest):
        raise InvalidIdNumber(_("檢查碼錯誤，請確認證號是否輸入正確。"))
    return value, kind


def check_digit_for(prefix9: str) -> str:
    """The check digit that completes a nine-character prefix (used by generators)."""
    for d in "0123456789":
        try:
            classify(prefix9 + d)
            return d
        except InvalidIdNumber:
            continue
    raise InvalidIdNumber(_("無法產生檢查碼。"))


def mask(value: str) -> str:
    """What staff see after entry: first letter and last three characters."""
    return value[0] + "*" * 6 + value[-3:]


# --- protection at rest ------------------------------------------------------------------


@lru_cache(maxsize=4)
def _keys(spec: str) -> dict[str, bytes]:
    keys = {}
    for part in spec.split(","):
        kid, _sep, b64 = part.strip().partition(":")
        key = base64.b64decode(b64)
        if len(key) not in (16, 24, 32) or not kid:
            raise ValueError("INSERVICE_ID_KEYS entries must be 'keyid:base64(16/24/32 bytes)'.")
        keys[kid] = key
    return keys


def _current_key() -> tuple[str, bytes]:
    keys = _keys(settings.ID_ENCRYPTION_KEYS)
    kid = settings.ID_ENCRYPTION_KEYS.split(",")[0].split(":")[0].strip()
    return kid, keys[kid]


def encrypt(value: str) -> bytes:
    kid, key = _current_key()
    nonce = os.urandom(12)
    kid_bytes = kid.encode()
    ciphertext = AESGCM(key).encrypt(nonce, value.encode(), kid_bytes)
    return bytes([len(kid_bytes)]) + kid_bytes + nonce + ciphertext


def decrypt(blob: bytes) -> str:
    blob = bytes(blob)
    n = blob[0]
    kid = blob[1 : 1 + n]
    nonce = blob[1 + n : 13 + n]
    key = _keys(settings.ID_ENCRYPTION_KEYS)[kid.decode()]
    return AESGCM(key).decrypt(nonce, blob[13 + n :], kid).decode()


def digest(value: str) -> str:
    """Keyed hash of the normalised value: equal IDs match, the ID space cannot be enumerated."""
    key = settings.ID_HMAC_KEY.encode()
    return hmac.digest(key, normalize(value).encode(), "sha256").hex()


@dataclass(frozen=True)
class ProtectedId:
    encrypted: bytes
    digest: str
    kind: str
    hint: str

    def apply_to(self, teacher) -> None:
        teacher.id_number_encrypted = self.encrypted
        teacher.id_number_digest = self.digest
        teacher.id_number_kind = self.kind
        teacher.id_number_hint = self.hint


def protect(raw: str) -> ProtectedId:
    """Validate and protect an ID number in one step; raises InvalidIdNumber."""
    value, kind = classify(raw)
    return ProtectedId(encrypt(value), digest(value), kind, mask(value))
