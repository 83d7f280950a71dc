"""A small tokenizer for Chinese keyword search (no maintained helper exists).

Text is NFKC-normalised (full-width letters and digits become ASCII, compatibility ideographs
their unified form) and 台 is folded into 臺, so 台北 finds 臺北. A run of CJK characters
yields every single character, every two-character pair (bigram) and every three-character
run (trigram) at the position of its first character; ASCII words are lower-cased, one
position each. Runs are separated by a gap in positions so a phrase never spans punctuation
or two fields.

A query word of up to three characters looks up that one lexeme, so PostgreSQL's statistics
know how common it is; longer words, the phrase of consecutive trigrams (`abc <-> bcd`),
which matches exactly the texts containing the word. Several words are AND-ed. So only the
trigrams need their positions in the vector.

A row's codes (county, category, target stages …) are lexemes too, without positions, in a
form no text yields (`county=2`): a keyword with filters is then one GIN scan that
intersects them (`SearchResults._count_plan`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

# CJK ideographs (unified, extension A, compatibility, extensions B–F) and kana.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_SEGMENT = re.compile(rf"[{_CJK}]+|[0-9a-z]+")
_FOLD = str.maketrans({"台": "臺"})
# PostgreSQL keeps positions up to 16383; the rest of a long outline is not indexed.
MAX_POSITION = 16383
_GAP = 2


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").translate(_FOLD).lower()


def _is_cjk(segment: str) -> bool:
    return not segment[0].isascii()


def tokens(*texts: str) -> list[tuple[str, int]]:
    """(token, position) pairs for the texts, positions from 1, in order."""
    out: list[tuple[str, int]] = []
    position = 1
    for text in texts:
        for match in _SEGMENT.finditer(normalize(text)):
            segment = match.group()
            if _is_cjk(segment):
                for i, char in enumerate(segment):
                    if position + i > MAX_POSITION:
                        return out
                    out.append((char, position + i))
                    if i + 1 < len(segment):
                        out.append((segment[i : i + 2], position + i))
                    if i + 2 < len(segment):
                        out.append((segment[i : i + 3], position + i))
                position += len(segment) + _GAP
            else:
                if position > MAX_POSITION:
                    return out
                out.append((segment, position))
                position += 1 + _GAP
    return out


def quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


# The search row's code fields whose values are lexemes too, with the name each lexeme
# carries; the list fields hold several codes.
CODE_FIELDS = {
    "county_id": "county",
    "category": "category",
    "topic_item": "item",
    "level": "level",
    "class_type": "class",
    "tags": "tag",
    "target_stages": "stage",
    "delivery": "delivery",
    "time_slots": "slot",
}


def code_lexeme(field: str, value) -> str:
    """The lexeme of one code of a row (`county=2`, `stage=14-4`): `=` is in no text token."""
    return f"{CODE_FIELDS[field]}={value}"


def code_lexemes(values: Mapping[str, object]) -> list[str]:
    """The lexemes of a row's codes, from its `CODE_FIELDS` values (empty ones have none)."""
    out = []
    for name in CODE_FIELDS:
        value = values.get(name)
        for code in value if isinstance(value, list | tuple) else [value]:
            if code is not None and code != "":
                out.append(code_lexeme(name, code))
    return out


def positioned(token: str) -> bool:
    """Whether a token is stored with its positions: only trigrams, the pieces of phrases.
    Every other token is looked up alone, and positions would make each row's vector about
    a quarter larger."""
    return len(token) == 3 and _is_cjk(token)


def lexeme(token: str, positions: Iterable[int]) -> str:
    """One lexeme of a tsvector literal: `'數學課':1,9`, or `'數學'` (see `positioned`)."""
    if not positioned(token):
        return quote(token)
    return f"{quote(token)}:{','.join(str(p) for p in sorted(set(positions))[:256])}"


def tsvector_literal(*texts: str, codes: Iterable[str] = ()) -> str:
    """The text form of a PostgreSQL tsvector (`'數學課':1,9 '數學' '數' ...`), for a
    `::tsvector` cast; `codes` (see `code_lexeme`) are added, also without positions."""
    positions: dict[str, list[int]] = {}
    for token, position in tokens(*texts):
        positions.setdefault(token, []).append(position)
    words = [lexeme(token, ps) for token, ps in positions.items()]
    return " ".join([*words, *(quote(code) for code in codes)])


def query_terms(query: str) -> list[str]:
    """The keyword's searchable segments after normalisation (empty when nothing is left)."""
    return [m.group() for m in _SEGMENT.finditer(normalize(query))]


def pieces(segment: str) -> list[str]:
    """The lexemes a query segment looks up: itself up to three characters, else its
    consecutive trigrams (their phrase)."""
    if not _is_cjk(segment) or len(segment) <= 3:
        return [segment]
    return [segment[i : i + 3] for i in range(len(segment) - 2)]


def _segment_query(segment: str) -> str:
    found = pieces(segment)
    if len(found) == 1:
        return quote(found[0])
    return "(" + " <-> ".join(quote(p) for p in found) + ")"


def tsquery_literal(query: str) -> str | None:
    """The text form of a tsquery for the keyword (segments AND-ed), or None if it has none."""
    terms = query_terms(query)
    if not terms:
        return None
    return " & ".join(_segment_query(t) for t in terms)
