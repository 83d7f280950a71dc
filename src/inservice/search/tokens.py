"""A small tokenizer for Chinese keyword search (no maintained helper exists).

Text is NFKC-normalised (full-width letters and digits become ASCII, compatibility ideographs
their unified form) and 台 is folded into 臺, so 台北 finds 臺北. A run of CJK characters
yields every single character and every two-character pair (bigram) at the position of its
first character; ASCII words are lower-cased, one position each. Runs are separated by a gap
in positions so a phrase never spans punctuation or two fields.

A query word of one character looks up that character; two characters, the bigram; longer
words, the phrase of consecutive bigrams (`ab <-> bc <-> cd`), which matches exactly the
texts containing the word. Several words are AND-ed.
"""

from __future__ import annotations

import re
import unicodedata

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


is_cjk = _is_cjk


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
                position += len(segment) + _GAP
            else:
                if position > MAX_POSITION:
                    return out
                out.append((segment, position))
                position += 1 + _GAP
    return out


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(*texts: str) -> str:
    """The text form of a PostgreSQL tsvector (`'數學':1,9 '數':1 ...`), for a `::tsvector` cast."""
    positions: dict[str, list[int]] = {}
    for token, position in tokens(*texts):
        positions.setdefault(token, []).append(position)
    return " ".join(
        f"{_quote(token)}:{','.join(str(p) for p in sorted(set(ps))[:256])}"
        for token, ps in positions.items()
    )


def query_terms(query: str) -> list[str]:
    """The keyword's searchable segments after normalisation (empty when nothing is left)."""
    return [m.group() for m in _SEGMENT.finditer(normalize(query))]


def _segment_query(segment: str) -> str:
    if not _is_cjk(segment) or len(segment) <= 2:
        return _quote(segment)
    bigrams = [segment[i : i + 2] for i in range(len(segment) - 1)]
    return "(" + " <-> ".join(_quote(b) for b in bigrams) + ")"


def tsquery_literal(query: str) -> str | None:
    """The text form of a tsquery for the keyword (segments AND-ed), or None if it has none."""
    terms = query_terms(query)
    if not terms:
        return None
    return " & ".join(_segment_query(t) for t in terms)
