"""The dataset generator (issue 6) at tiny scale on the test database."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from inservice.benchdata import SCALES
from inservice.benchdata.generator import FIELDS, DatasetError, _models, generate
from inservice.core import idnumbers

TODAY = datetime.date(2026, 11, 27)
TINY = SCALES["tiny"]

DB = pytest.mark.django_db(transaction=True)


def _hashes() -> dict[str, str]:
    out = {}
    with connection.cursor() as cur:
        for model in _models().values():
            table = model._meta.db_table
            pk = model._meta.pk.column
            cur.execute(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.\"{pk}\"), '')) "  # noqa: S608
                f'FROM "{table}" t'
            )
            out[table] = cur.fetchone()[0]
    return out


def _one(sql, params=()):
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def _run(tmp_path, **kwargs):
    return generate("tiny", 7, today=TODAY, out_dir=tmp_path, progress=False, **kwargs)


@DB
def test_tiny_dataset(tmp_path):
    anchors = _run(tmp_path)
    first = _hashes()
    # Determinism: the same seed again (the marker lets it replace its own data).
    again = _run(tmp_path)
    assert _hashes() == first
    assert again["counts"] == anchors["counts"]

    # Counts per the scale's spec.
    counts = anchors["counts"]
    assert counts["organizations_unit"] == TINY.units
    assert counts["accounts_teacher"] == TINY.teachers
    assert counts["courses_course"] == TINY.courses
    assert counts["courses_courseversion"] == TINY.courses
    assert counts["records_trainingrecord"] == TINY.records
    assert counts["enrollment_registration"] == TINY.registrations
    assert anchors["dropped_records"] == 0
    assert anchors["missing_registrations"] == 0
    searchable = _one(
        "SELECT count(*) FROM courses_course WHERE status IN ('published', 'closed')"
    )[0]
    assert counts["search_coursesearchentry"] == searchable
    partner = _one("SELECT count(*) FROM records_trainingrecord WHERE source = 'partner'")[0]
    assert 0.02 * TINY.records < partner < 0.1 * TINY.records
    assert (tmp_path / "dataset-tiny-7.json").exists()

    # Seasonal curve: March and September above the mean month.
    with connection.cursor() as cur:
        cur.execute(
            "SELECT extract(month FROM start_date)::int, count(*) FROM courses_course GROUP BY 1"
        )
        per_month = dict(cur.fetchall())
    mean = sum(per_month.values()) / 12
    assert per_month[3] > mean and per_month[9] > mean

    # Every ID number valid, protected exactly as the Teacher model's helpers would.
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id_number_encrypted, id_number_digest, id_number_kind, id_number_hint "
            "FROM accounts_teacher"
        )
        rows = cur.fetchall()
    kinds = set()
    for blob, digest, kind, hint in rows:
        value = idnumbers.decrypt(bytes(blob))
        normalised, expected_kind = idnumbers.classify(value)
        assert kind == expected_kind
        assert digest == idnumbers.digest(value)
        assert hint == idnumbers.mask(value)
        kinds.add(kind)
    assert idnumbers.NATIONAL in kinds

    # No teacher-day over 6 hours, no week over 35; days add up to the records.
    assert _one(
        "SELECT count(*) FROM (SELECT teacher_id, date FROM records_trainingday "
        "GROUP BY 1, 2 HAVING sum(hours_counted) > 6) x"
    ) == (0,)
    assert _one(
        "SELECT count(*) FROM (SELECT teacher_id, date_trunc('week', date) FROM "
        "records_trainingday GROUP BY 1, 2 HAVING sum(hours_counted) > 35) x"
    ) == (0,)
    assert _one(
        "SELECT count(*) FROM records_trainingrecord r WHERE hours <> "
        "(SELECT sum(hours_counted) FROM records_trainingday d WHERE d.record_id = r.id)"
    ) == (0,)

    # The teacher with 40 years of records.
    teacher = anchors["teacher_40_years"]
    assert teacher["records"] == TINY.anchor_records
    first_year, last_year = _one(
        "SELECT min(extract(year FROM start_date)), max(extract(year FROM start_date)) "
        "FROM records_trainingrecord WHERE teacher_id = %s",
        [teacher["teacher_id"]],
    )
    assert last_year - first_year >= 39

    # Indexes are back (same names as the migrations made).
    assert _one(
        "SELECT count(*) FROM pg_indexes WHERE indexname IN "
        "('search_vector_gin', 'record_once_per_course', 'records_tra_teacher_f1ca41_idx')"
    ) == (3,)


@DB
def test_app_works_on_generated_data(tmp_path):
    from inservice.accounts.models import User
    from inservice.courses.models import Course, CourseVersion
    from inservice.courses.services.lifecycle import create_course
    from inservice.courses.validation import draft_problems, submit_problems
    from inservice.search import tokens
    from inservice.search.index import entry_for
    from inservice.search.models import CourseSearchEntry
    from inservice.search.query import SearchParams, search
    from tests.factories import complete_course_data

    anchors = _run(tmp_path)
    max_code = Course.objects.order_by("-code").values_list("code", flat=True)[0]

    # The course-code sequence was moved past the generated codes.
    staff = User.objects.get(username=anchors["school_staff_username"])
    course = create_course(actor=staff, unit=staff.staff.unit, data=complete_course_data())
    assert course.code > max_code

    # The app's search finds a generated course by a two-character keyword.
    entry = CourseSearchEntry.objects.order_by("code").first()
    cjk = [ch for ch in entry.name if not ch.isascii()]
    keyword = "".join(cjk[:2])
    assert entry.code in {e.code for e in search(SearchParams(q=keyword))[:10000]}

    # Search rows are what the app's own indexer would write.
    for entry in CourseSearchEntry.objects.order_by("?")[:25]:
        course = Course.objects.select_related("unit", "published").get(pk=entry.course_id)
        expected = entry_for(course)
        for name in (
            "code", "name", "status", "unit_id", "county_id", "start_date", "end_date",
            "registration_opens", "registration_closes", "published_at", "class_type",
            "taxonomy_stage", "category", "topic_item", "level", "target_stages", "tags",
            "delivery", "time_slots",
        ):  # fmt: skip
            assert getattr(entry, name) == getattr(expected, name), name
        literal = expected.search_vector
        assert "'category=" in literal  # the codes are lexemes too
        assert literal == tokens.tsvector_literal(
            course.published.name,
            course.unit.name,
            course.published.outline,
            codes=tokens.code_lexemes({n: getattr(entry, n) for n in tokens.CODE_FIELDS}),
        )
        assert _one(
            "SELECT search_vector = %s::tsvector FROM search_coursesearchentry "
            "WHERE course_id = %s",
            [literal, entry.course_id],
        ) == (True,)

    # Versions hold valid codes; upcoming courses pass the submission checks.
    for version in CourseVersion.objects.order_by("?")[:50]:
        assert draft_problems(version) == {}
    upcoming = CourseVersion.objects.filter(
        course__status="published", start_date__gt=TODAY + datetime.timedelta(days=30)
    ).order_by("id")[:10]
    for version in upcoming:
        assert submit_problems(version) == {}, (version.name, submit_problems(version))

    # Registration options match the admitted registrations.
    assert _one(
        "SELECT count(*) FROM enrollment_enrollmentoptions o WHERE admitted_count <> "
        "(SELECT count(*) FROM enrollment_registration r "
        " WHERE r.course_id = o.course_id AND r.status = 'admitted')"
    ) == (0,)
    closing = anchors["closing_course"]
    assert closing["admitted"] == TINY.closing_attendees


@DB
def test_refuses_data_it_did_not_make(tmp_path):
    from tests.factories import TeacherFactory

    TeacherFactory()
    with pytest.raises(DatasetError, match="--force"):
        _run(tmp_path)
    anchors = _run(tmp_path, force=True)
    assert anchors["counts"]["accounts_teacher"] == TINY.teachers


def test_refuses_sqlite(monkeypatch, tmp_path):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(DatasetError, match="PostgreSQL"):
        _run(tmp_path)
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("generate_dataset", "--scale", "tiny", "--quiet", "--out-dir", str(tmp_path))


def test_fields_cover_required_columns():
    from inservice.benchdata.copyio import Table

    for key, model in _models().items():
        Table(model, FIELDS[key])  # raises if a NOT NULL column without default is missing
