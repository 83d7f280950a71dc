"""Helpers for tests that write search rows by hand (to shape PostgreSQL's statistics)."""

from inservice.search import tokens

_FIELDS = list(tokens.CODE_FIELDS)
_LISTS = {"tags", "target_stages", "delivery", "time_slots"}


def add_code_lexemes(cursor, min_code: int) -> None:
    """Give the hand-written rows (codes from `min_code` on) the code lexemes that the indexer
    writes into every vector (`search.index.entry_for`)."""
    # Django reads jsonb as text: the lists are read as arrays.
    columns = [
        f"ARRAY(SELECT jsonb_array_elements_text({name}))" if name in _LISTS else name
        for name in _FIELDS
    ]
    cursor.execute(
        f"SELECT course_id, {', '.join(columns)} FROM search_coursesearchentry "  # noqa: S608
        "WHERE code >= %s",
        [min_code],
    )
    ids, codes = [], []
    for course_id, *values in cursor.fetchall():
        ids.append(course_id)
        lexemes = tokens.code_lexemes(dict(zip(_FIELDS, values, strict=True)))
        codes.append(" ".join(tokens.quote(lexeme) for lexeme in lexemes))
    cursor.execute(
        "UPDATE search_coursesearchentry s "
        "SET search_vector = s.search_vector || n.codes::tsvector "
        "FROM unnest(%s::bigint[], %s::text[]) AS n(course_id, codes) "
        "WHERE s.course_id = n.course_id",
        [ids, codes],
    )
