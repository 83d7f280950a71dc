"""Rewrites every search vector with the tokens of `search.tokens` as they now are: three-
character runs (trigrams) and the row's codes as lexemes (county, category, stages …).

Until a row is rewritten, a keyword of three characters or more, or a keyword with filters,
does not find it; so the rows are rewritten here, in batches that each commit, before the
new code serves searches.

With trigrams a vector is ~2.2 KB, past the 2 KB at which PostgreSQL moves a value to the
TOAST table: testing a keyword on a row then costs an index lookup and a second read (twice
the time per row, measured). The table's rows are kept whole up to a page
(`toast_tuple_target`) before the rewrite, so rewritten rows keep their vector inline.

On a national table (4 million rows) this takes about half an hour: see docs/deployment.md
("Upgrades on a large database"). PostgreSQL only (SQLite keeps the normalised text, which is
unchanged)."""

from django.db import migrations

BATCH = 2000

READ = """
SELECT s.course_id, v.name, u.name, v.outline, s.county_id, s.category, s.topic_item,
       s.level, s.class_type,
       ARRAY(SELECT jsonb_array_elements_text(s.tags)),
       ARRAY(SELECT jsonb_array_elements_text(s.target_stages)),
       ARRAY(SELECT jsonb_array_elements_text(s.delivery)),
       ARRAY(SELECT jsonb_array_elements_text(s.time_slots))
FROM search_coursesearchentry s
JOIN courses_course c ON c.id = s.course_id
JOIN courses_courseversion v ON v.id = c.published_id
JOIN organizations_unit u ON u.id = s.unit_id
WHERE s.course_id > %s
ORDER BY s.course_id
LIMIT %s
"""

WRITE = """
UPDATE search_coursesearchentry s SET search_vector = n.vector::tsvector
FROM unnest(%s::bigint[], %s::text[]) AS n(course_id, vector)
WHERE s.course_id = n.course_id
"""

CODES = (
    "county_id",
    "category",
    "topic_item",
    "level",
    "class_type",
    "tags",
    "target_stages",
    "delivery",
    "time_slots",
)


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from inservice.search import tokens

    last = 0
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE search_coursesearchentry SET (toast_tuple_target = 8160)")
        while True:
            cursor.execute(READ, [last, BATCH])
            rows = cursor.fetchall()
            if not rows:
                break
            ids, vectors = [], []
            for course_id, name, unit_name, outline, *codes in rows:
                ids.append(course_id)
                lexemes = tokens.code_lexemes(dict(zip(CODES, codes, strict=True)))
                vectors.append(tokens.tsvector_literal(name, unit_name, outline, codes=lexemes))
            cursor.execute(WRITE, [ids, vectors])
            last = ids[-1]
        cursor.execute("ANALYZE search_coursesearchentry")


def backward(apps, schema_editor):
    # The vectors stay as they are: rebuild the index (`rebuild_search_index`) with the
    # previous release, whose phrases of character pairs need the pairs' positions.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE search_coursesearchentry RESET (toast_tuple_target)")


class Migration(migrations.Migration):
    # Each batch commits on its own: a national table is not rewritten in one transaction.
    atomic = False

    dependencies = [("search", "0008_closes_covering_index")]

    operations = [migrations.RunPython(forward, backward)]
