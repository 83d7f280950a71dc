"""How common a keyword is, from PostgreSQL's own statistics of the search vectors.

PostgreSQL knows each lexeme's share of rows (`pg_stats.most_common_elems`) but multiplies
them for a phrase, although the trigrams of one word occur together: it would estimate a
common four-character word at a few thousand rows of 4 million when a hundred thousand
match, and then plan as for a rare word. `keyword_share` reads the same statistics and
takes, per term, its rarest lexeme instead; `query.SearchResults` uses it to choose the
count's and the page's plans, and `single_lexeme_rows` to skip counting a one-word keyword
(up to three characters: one lexeme) on very many rows.
"""

from __future__ import annotations

import time

from django.db import connections

from . import tokens

_TTL = 600.0  # seconds; ANALYZE (autovacuum) changes them slowly
# (alias, statement) → (when read, the value parsed from its row)
_cache: dict[tuple[str, str], tuple[float, object]] = {}


def _read(using: str, sql: str, parse):
    """`parse` of the first row of `sql` on `using`, read at most once per `_TTL` per
    process."""
    cached = _cache.get((using, sql))
    if cached is not None and time.monotonic() - cached[0] < _TTL:
        return cached[1]
    with connections[using].cursor() as cursor:
        cursor.execute(sql)
        value = parse(cursor.fetchone())
    _cache[(using, sql)] = (time.monotonic(), value)
    return value


def _shares(row) -> tuple[dict[str, float], float] | None:
    if not row or not row[0] or not row[1]:
        return None
    elements, shares = row
    listed = dict(zip(elements, shares[: len(elements)], strict=True))
    return listed, min(listed.values())


def _element_shares(using: str) -> tuple[dict[str, float], float] | None:
    """Lexeme → share of rows for the most common lexemes, and the smallest share listed
    (every lexeme not listed is rarer); None without statistics."""
    return _read(
        using,
        "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
        "WHERE tablename = 'search_coursesearchentry' AND attname = 'search_vector'",
        _shares,
    )


def _table_rows(using: str) -> float:
    """The search table's row count as PostgreSQL last estimated it (ANALYZE, VACUUM)."""
    return _read(
        using,
        "SELECT reltuples FROM pg_class WHERE oid = 'search_coursesearchentry'::regclass",
        lambda row: max(float(row[0]), 0.0) if row else 0.0,
    )


def single_lexeme_rows(query: str, using: str = "default") -> float | None:
    """How many rows contain `query`, estimated from the statistics, when it is a single
    lexeme (one to three CJK characters, or one ASCII word) that they list; None otherwise.
    For one lexeme the listed share is an estimate of that lexeme itself (from a sample of
    300,000 rows at the statistics target of migration 0005), not a bound or a product."""
    terms = tokens.query_terms(query)
    if len(terms) != 1 or len(tokens.pieces(terms[0])) != 1:
        return None
    found = _element_shares(using)
    share = found[0].get(terms[0]) if found is not None else None
    if share is None:
        return None
    return share * _table_rows(using)


def lexeme_share(lexeme: str, using: str = "default") -> float:
    """One lexeme's share of the rows: as listed, else below the smallest listed share (or
    0 without statistics)."""
    found = _element_shares(using)
    if found is None:
        return 0.0
    listed, floor = found
    return listed.get(lexeme, floor)


def keyword_is_rare(query: str, using: str = "default") -> bool:
    """Whether the statistics show `query` rarer than every listed lexeme (a few hundred
    rows per million at most); False when there are no statistics to tell."""
    return _element_shares(using) is not None and keyword_share(query, using) is None


def keyword_share(query: str, using: str = "default") -> float | None:
    """The estimated share of rows matching `query` (terms treated as independent, each term
    as common as its rarest lexeme), or None when a lexeme is too rare to be listed."""
    found = _element_shares(using)
    if found is None:
        return None
    listed, _floor = found
    share = 1.0
    for term in tokens.query_terms(query):
        pieces = tokens.pieces(term)
        term_share = min((listed.get(piece) for piece in pieces), key=lambda v: v or 0)
        if not term_share:
            return None
        share *= term_share
    return share
