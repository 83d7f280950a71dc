"""Deterministic synthetic data at the size of the real network, loaded with COPY.

`generate(scale, seed)` fills the apps' tables in one transaction on one connection:
units (with a chief staff account each), teachers (each with a login), and then year by year
the courses (course, published version, search row), the training records and their days
(teachers pick closed courses of the year so that no day gets more than 6 hours and no week
more than 35), partners' records, and in the current year the registrations and the
registration options. Same seed, scale and `today` → the same rows.

Speed: rows are formatted as COPY text by plain Python (no model instances); the big tables'
non-unique indexes are dropped first and re-created from their exact `pg_indexes.indexdef`
afterwards; foreign-key triggers are off while loading (`session_replication_role = replica`
for a superuser, otherwise the constraints are dropped and re-added); the truncated tables
take COPY FREEZE. ANALYZE at the end.
"""

from __future__ import annotations

import bisect
import datetime
import hashlib
import hmac
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from . import spec as S
from .copyio import Pipe, Progress, Table, Writer, json_list

MARKER = "inservice-benchdata"
BENCH_PASSWORD = "bench-Password-2026"  # noqa: S105 — every generated login (synthetic data only)
FIRST_COURSE_CODE = 5_000_001  # = courses.services.lifecycle.FIRST_COURSE_CODE
TZ = "+08:00"  # Asia/Taipei, no daylight saving since 1979

# Tables that hold reference data loaded by migrations: never truncated.
KEEP_TABLES = {
    "django_migrations",
    "django_content_type",
    "auth_permission",
    "auth_group",
    "auth_group_permissions",
    "organizations_county",
    "organizations_unit",
}
KEEP_PREFIXES = ("catalog_",)


class DatasetError(Exception):
    """Refused or failed; the message says why and what to do."""


# --- small helpers ----------------------------------------------------------------------


def apportion(weights: list[float], total: int) -> list[int]:
    """Integers proportional to `weights` summing exactly to `total` (largest remainder)."""
    if total <= 0 or not weights:
        return [0] * len(weights)
    wsum = float(sum(weights))
    if wsum <= 0:
        weights = [1.0] * len(weights)
        wsum = float(len(weights))
    raw = [w * total / wsum for w in weights]
    out = [int(r) for r in raw]
    rest = total - sum(out)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - out[i]), i))
    for i in order[:rest]:
        out[i] += 1
    return out


def ts(day: datetime.date, hour: int = 9, minute: int = 0) -> str:
    return f"{day.isoformat()} {hour:02d}:{minute:02d}:00{TZ}"


def jlist(values) -> str:
    return json_list(list(values))


def hours_text(h: float) -> str:
    return f"{h:.1f}"


_ID_LETTERS = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "I": 34,
    "J": 18, "K": 19, "L": 20, "M": 21, "N": 22, "O": 35, "P": 23, "Q": 24, "R": 25,
    "S": 26, "T": 27, "U": 28, "V": 29, "W": 32, "X": 30, "Y": 31, "Z": 33,
}  # fmt: skip


def personal_identifier_for(n: int) -> str:
    """A distinct personal identifier for each n below 600 million, shaped as the app makes
    them (`accounts.models.new_personal_identifier`: never also an ID number)."""
    from inservice.accounts.models import PERSONAL_IDENTIFIER_SECOND as SECOND

    v = n % (len(SECOND) * 100_000_000)
    return f"T{SECOND[v % len(SECOND)]}{v // len(SECOND):08d}"


def id_number(letter: str, second: str, seven: str) -> str:
    """A checksum-valid ID number (core.idnumbers rules) from its first nine characters."""
    v = _ID_LETTERS[letter]
    second_value = int(second) if second.isdigit() else _ID_LETTERS[second] % 10
    total = v // 10 + (v % 10) * 9 + second_value * 8
    total += sum(int(d) * w for d, w in zip(seven, (7, 6, 5, 4, 3, 2, 1), strict=True))
    return f"{letter}{second}{seven}{(10 - total % 10) % 10}"


class IdProtector:
    """`core.idnumbers.protect` in bulk: same blob layout (key id, nonce, AES-GCM), same HMAC
    digest, kind and mask. The nonce is derived from the seed and the value (not random) so
    the data is reproducible; never do that outside synthetic data."""

    def __init__(self, seed: int):
        import base64

        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        spec = settings.ID_ENCRYPTION_KEYS
        first = spec.split(",")[0].strip()
        kid, _sep, b64 = first.partition(":")
        self.kid = kid.encode()
        self.aes = AESGCM(base64.b64decode(b64))
        self.hmac_key = settings.ID_HMAC_KEY.encode()
        self.nonce_key = f"benchdata-nonce:{seed}".encode()
        self.prefix = bytes([len(self.kid)]) + self.kid

    def protect(self, value: str) -> tuple[bytes, str, str, str]:
        from inservice.core import idnumbers

        second = value[1]
        if second in "12":
            kind = idnumbers.NATIONAL
        elif second in "89":
            kind = idnumbers.RESIDENT_NEW
        else:
            kind = idnumbers.RESIDENT_OLD
        nonce = hmac.new(self.nonce_key, value.encode(), hashlib.sha256).digest()[:12]
        blob = self.prefix + nonce + self.aes.encrypt(nonce, value.encode(), self.kid)
        digest = hmac.new(self.hmac_key, value.encode(), hashlib.sha256).hexdigest()
        return blob, digest, kind, value[0] + "*" * 6 + value[-3:]


class TsvBuilder:
    """`search.tokens.tsvector_literal(name, unit_name, outline)` with the pieces cached: a
    text's tokens are computed once and shifted by the positions the texts before it used.
    PostgreSQL merges repeated lexemes on input, so the fragments are simply joined."""

    def __init__(self):
        from inservice.search import tokens

        self.tokens = tokens
        self.cache: dict[str, tuple[list[tuple[str, int]], int]] = {}
        self.frag_cache: dict[tuple[str, int], str] = {}

    def _parts(self, text: str) -> tuple[list[tuple[str, int]], int]:
        hit = self.cache.get(text)
        if hit is None:
            toks = self.tokens.tokens(text)
            used = 0
            for m in self.tokens._SEGMENT.finditer(self.tokens.normalize(text)):
                seg = m.group()
                used += (len(seg) if not seg[0].isascii() else 1) + self.tokens._GAP
            hit = (toks, used)
            if len(self.cache) < 200_000:
                self.cache[text] = hit
        return hit

    def fragment(self, text: str, offset: int, cache: bool) -> tuple[str, int]:
        toks, used = self._parts(text)
        if cache:
            key = (text, offset)
            frag = self.frag_cache.get(key)
            if frag is None:
                frag = self._join(toks, offset)
                if len(self.frag_cache) < 400_000:
                    self.frag_cache[key] = frag
            return frag, used
        return self._join(toks, offset), used

    @staticmethod
    def _join(toks: list[tuple[str, int]], offset: int) -> str:
        # `tokens.lexeme` for one position, inlined: tokens are CJK or [0-9a-z] (no quotes to
        # escape), and only CJK trigrams keep their position (`tokens.positioned`).
        return " ".join(
            f"'{t}':{p + offset}" if len(t) == 3 and not t[0].isascii() else f"'{t}'"
            for t, p in toks
        )

    def literal(self, name: str, unit_name: str, outline: str, codes: list[str]) -> str:
        a, used_a = self.fragment(name, 0, cache=False)
        b, used_b = self.fragment(unit_name, used_a, cache=True)
        c, used_c = self.fragment(outline, used_a + used_b, cache=True)
        if used_a + used_b + used_c > self.tokens.MAX_POSITION - 10:
            return self.tokens.tsvector_literal(name, unit_name, outline, codes=codes)
        quoted = (self.tokens.quote(code) for code in codes)
        return " ".join(x for x in (a, b, c, *quoted) if x)


# --- the plan ------------------------------------------------------------------------------


@dataclass
class UnitRow:
    id: int
    code: str
    name: str
    kind: str
    ownership: str
    county_id: int | None
    county_idx: int  # index into counties, -1 for none
    staff_user_id: int = 0
    teachers: int = 0
    center_id: int | None = None
    transmit_center_id: int | None = None
    transmits: bool = False
    stage: str = ""


@dataclass
class Ctx:
    scale: S.Scale
    seed: int
    today: datetime.date
    years: list[int]
    progress: Progress
    cursor: object
    freeze: set[str]
    counties: list = field(default_factory=list)
    units: list[UnitRow] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    writers: dict[str, Writer] = field(default_factory=dict)
    anchors: dict = field(default_factory=dict)
    pipe: Pipe | None = None
    units_by_id_name: dict[int, str] = field(default_factory=dict)

    def rng(self, *label) -> random.Random:
        return random.Random(":".join(str(x) for x in (self.seed, *label)))

    def writer(self, key: str) -> Writer:
        return self.writers[key]


def _models():
    from inservice.accounts.models import StaffProfile, Teacher, User
    from inservice.courses.models import Course, CourseVersion
    from inservice.enrollment.models import EnrollmentOptions, Registration
    from inservice.organizations.models import Unit
    from inservice.records.models import TrainingDay, TrainingRecord
    from inservice.search.models import CourseSearchEntry

    return {
        "unit": Unit,
        "user": User,
        "staff": StaffProfile,
        "teacher": Teacher,
        "course": Course,
        "version": CourseVersion,
        "search": CourseSearchEntry,
        "options": EnrollmentOptions,
        "registration": Registration,
        "record": TrainingRecord,
        "day": TrainingDay,
    }


FIELDS = {
    "unit": [
        "id", "code", "name", "kind", "ownership", "county", "address", "phone", "email",
        "created_at", "updated_at",
    ],
    "user": [
        "id", "password", "username", "kind", "real_name", "email", "email_verified_at",
        "date_joined",
    ],
    "staff": ["id", "user", "unit", "role", "status", "job_title", "applied_at", "decided_at"],
    "teacher": [
        "id", "user", "name", "id_number_encrypted", "id_number_digest", "id_number_kind",
        "id_number_hint", "personal_identifier", "sex", "birth_date", "title", "subjects",
        "serving_unit", "privacy_consent_at", "privacy_consent_version", "created_at",
        "updated_at",
    ],
    "course": [
        "id", "code", "unit", "status", "source", "published", "reviewing_center", "name",
        "start_date", "end_date", "created_by", "created_at", "updated_at", "published_at",
        "cancelled_at", "cancel_reason", "closed_at", "revision",
    ],
    "version": [
        "id", "course", "number", "state", "class_type", "basis", "basis_doc_number", "name",
        "tags", "subject", "taxonomy_stage", "category", "topic_item", "level",
        "instructor_name", "instructor_type", "outline", "delivery", "time_slots", "hours",
        "target_stages", "target_titles", "registration_start", "registration_opens_at",
        "registration_end", "start_date", "end_date", "time_and_place", "funding", "fee",
        "classes", "seats_per_class", "contact1_name", "contact1_phone", "contact1_email",
        "feedback", "created_by", "created_at", "updated_at", "submitted_at", "submitted_by",
        "reviewed_at", "auto_approved",
    ],
    "search": [
        "course", "code", "name", "status", "unit", "county", "start_date", "end_date",
        "registration_opens", "registration_closes", "published_at", "class_type",
        "taxonomy_stage", "category", "topic_item", "level", "target_stages", "tags",
        "delivery", "time_slots", "search_vector", "search_text", "indexed_at",
    ],
    "options": ["id", "course", "mode", "allow_waitlist", "restriction", "admitted_count"],
    "registration": [
        "id", "course", "teacher", "status", "queued_at", "created_at", "updated_at",
        "cancelled_at",
    ],
    "record": [
        "id", "teacher", "course", "course_code", "course_name", "organizer", "organizer_name",
        "source", "partner", "start_date", "end_date", "hours_requested", "hours",
        "hours_withheld", "credits", "class_type", "category", "topic_item", "level", "tags",
        "closed_at", "created_at",
    ],
    "day": ["id", "record", "teacher", "date", "hours_requested", "hours_counted"],
}  # fmt: skip


# --- database preparation -----------------------------------------------------------------


def _app_tables(cursor) -> list[str]:
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )
    return [r[0] for r in cursor.fetchall()]


def _marker(cursor) -> str | None:
    cursor.execute("SELECT obj_description('courses_course'::regclass, 'pg_class')")
    row = cursor.fetchone()
    return row[0] if row and row[0] and row[0].startswith(MARKER) else None


def _check_and_clear(ctx: Ctx, force: bool, reference_codes: set[str]):
    cur = ctx.cursor
    tables = _app_tables(cur)
    clear = [t for t in tables if t not in KEEP_TABLES and not t.startswith(KEEP_PREFIXES)]
    holding = []
    for t in ("accounts_user", "accounts_teacher", "courses_course", "records_trainingrecord"):
        cur.execute(f'SELECT EXISTS (SELECT 1 FROM "{t}")')  # noqa: S608 (fixed names)
        if cur.fetchone()[0]:
            holding.append(t)
    cur.execute(
        "SELECT count(*) FROM organizations_unit WHERE NOT (code = ANY(%s))",
        [sorted(reference_codes)],
    )
    extra_units = cur.fetchone()[0]
    if extra_units:
        holding.append(f"organizations_unit ({extra_units} non-reference units)")
    generated = False
    if _marker(cur):
        # The comment survives a flush by others: also ask for the generator's own first login.
        cur.execute(
            "SELECT EXISTS (SELECT 1 FROM accounts_user WHERE username = 't0000001' "
            "AND email = 't0000001@teacher.example')"
        )
        generated = cur.fetchone()[0]
    if holding and not generated and not force:
        raise DatasetError(
            "The database already holds data that the dataset generator did not make ("
            + ", ".join(holding)
            + "). Generating replaces ALL courses, teachers, accounts, registrations and "
            "records (reference data stays). Use a dedicated benchmark database, or pass "
            "--force to wipe this one."
        )
    ctx.progress.message(f"clearing {len(clear)} tables (reference data kept)")
    cur.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in clear) + " RESTART IDENTITY CASCADE")
    cur.execute(
        "DELETE FROM organizations_unit WHERE NOT (code = ANY(%s))", [sorted(reference_codes)]
    )
    # Fire the deferred foreign-key checks of that DELETE now (no pending events may remain
    # on a table whose indexes are dropped and re-created below).
    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cur.execute("SET CONSTRAINTS ALL DEFERRED")
    ctx.freeze = set(clear)


def _drop_indexes(cur, tables: list[str]) -> list[str]:
    """Drop every index of `tables` but the primary keys (unique constraints included, unless
    a foreign key depends on them); returns the exact statements that re-create them."""
    cur.execute(
        """
        SELECT t.relname, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid),
               c.conname, pg_get_constraintdef(c.oid)
        FROM pg_index i
        JOIN pg_class t ON t.oid = i.indrelid
        LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.contype IN ('u', 'x')
        WHERE t.relname = ANY(%s) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint f
                          WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
          AND (c.oid IS NOT NULL OR NOT EXISTS (
                SELECT 1 FROM pg_constraint o WHERE o.conindid = i.indexrelid))
        ORDER BY t.relname, 2
        """,
        [tables],
    )
    statements = []
    for table, index, definition, conname, condef in cur.fetchall():
        if conname:
            cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{conname}"')
            statements.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{conname}" {condef}')
        else:
            cur.execute(f"DROP INDEX {index}")
            statements.append(definition)
    return statements


def _drop_foreign_keys(cur, tables: list[str]) -> list[tuple[str, str, str]]:
    cur.execute(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
        FROM pg_constraint
        WHERE contype = 'f' AND (conrelid::regclass::text = ANY(%s)
                                 OR confrelid::regclass::text = ANY(%s))
        ORDER BY 1, 2
        """,
        [tables, tables],
    )
    rows = cur.fetchall()
    for table, name, _definition in rows:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return rows


# --- units and accounts -----------------------------------------------------------------------


_SCHOOL_DIGIT = {
    "elementary": "6",
    "junior_high": "5",
    "senior_high": "3",
    "vocational_high": "4",
    "special_ed_school": "7",
    "kindergarten": "8",
    "experimental": "9",
}
_ORG_PREFIX = {
    "training_center": "TC",
    "teacher_univ": "TU",
    "university": "UN",
    "subject_center": "SC",
    "recognised_org": "RO",
    "legal_person": "LP",
    "unincorporated_group": "UG",
    "local_agency": "LA",
    "community_college": "CC",
    "central_agency": "CA",
    "teacher_union": "TN",
    "overseas_school": "OS",
}
_STAGE_OF_KIND = {
    "elementary": "elementary",
    "junior_high": "junior_high",
    "senior_high": "senior_high",
    "vocational_high": "senior_high",
    "kindergarten": "kindergarten",
}
_VOCATIONAL = ("高級工業職業學校", "高級商業職業學校", "高級農工職業學校", "高級家事商業職業學校")
_LOCAL_AGENCIES = ("衛生局", "社會局", "環境保護局", "消防局", "警察局", "文化局", "勞工局")


_SCHOOL_SUFFIX = {
    "elementary": "國民小學",
    "junior_high": "國民中學",
    "senior_high": "高級中學",
    "special_ed_school": "特殊教育學校",
    "kindergarten": "幼兒園",
}


def _unit_name(kind, ownership, county_name, place, n, rng) -> str:
    pub = {"private": f"{county_name}私立", "national": "國立"}.get(ownership, f"{county_name}立")
    if kind in _SCHOOL_SUFFIX:
        return f"{pub}{place}{_SCHOOL_SUFFIX[kind]}"
    if kind == "vocational_high":
        return f"{pub}{place}{_VOCATIONAL[n % len(_VOCATIONAL)]}"
    if kind == "experimental":
        return f"{county_name}{place}實驗教育機構"
    if kind == "training_center":
        return f"{county_name}教師研習中心" + ("" if n == 0 else f"{place}分部")
    if kind == "teacher_univ":
        prefix = "國立" if ownership == "national" else "私立"
        return f"{prefix}{place}{'師範大學' if n % 2 else '教育大學'}"
    if kind == "university":
        prefix = "國立" if ownership == "national" else "私立"
        return f"{prefix}{place}{'科技大學' if n % 3 == 0 else '大學'}"
    if kind == "subject_center":
        return f"普通型高級中等學校{S.SUBJECT_CENTERS[n % len(S.SUBJECT_CENTERS)]}學科中心" + (
            "" if n < len(S.SUBJECT_CENTERS) else f"({place})"
        )
    if kind == "recognised_org":
        return f"財團法人{place}{S.ORG_FIELDS[n % len(S.ORG_FIELDS)]}基金會"
    if kind == "legal_person":
        return f"社團法人臺灣{place}{S.ORG_FIELDS[n % len(S.ORG_FIELDS)]}學會"
    if kind == "unincorporated_group":
        return f"{county_name}{place}{S.ORG_FIELDS[n % len(S.ORG_FIELDS)]}教師社群"
    if kind == "local_agency":
        return f"{county_name}政府{_LOCAL_AGENCIES[n % len(_LOCAL_AGENCIES)]}" + (
            "" if n < len(_LOCAL_AGENCIES) else f"{place}分處"
        )
    if kind == "community_college":
        return f"{county_name}{place}社區大學"
    if kind == "central_agency":
        base = S.CENTRAL_AGENCIES[n % len(S.CENTRAL_AGENCIES)]
        return base if n < len(S.CENTRAL_AGENCIES) else f"{base}{place}分館"
    if kind == "teacher_union":
        return f"{county_name}{place}教師職業工會"
    if kind == "overseas_school":
        base = S.OVERSEAS_SCHOOLS[n % len(S.OVERSEAS_SCHOOLS)]
        return base if n < len(S.OVERSEAS_SCHOOLS) else f"{base}{place}分校"
    return f"{county_name}{place}單位"


def _place_names(rng: random.Random) -> list[str]:
    chars = S.PLACE_CHARS
    names = [a + b for a in chars for b in chars if a != b]
    rng.shuffle(names)
    return names


def _phone(rng) -> str:
    return f"0{rng.randint(2, 8)}-{rng.randint(2000, 8999)}-{rng.randint(1000, 9999)}"


def _person_name(rng) -> str:
    g = S.GIVEN_CHARS
    return rng.choice(S.SURNAMES) + g[rng.randrange(len(g))] + g[rng.randrange(len(g))]


def _make_units(ctx: Ctx, models):
    from inservice.organizations.models import County, Unit

    rng = ctx.rng("units")
    counties = list(County.objects.order_by("sort_order", "code"))
    ctx.counties = counties
    cidx = {c.pk: i for i, c in enumerate(counties)}
    weights = [S.COUNTY_WEIGHTS.get(c.code, 1.0) for c in counties]
    refs = list(Unit.objects.order_by("id"))
    units: list[UnitRow] = []
    for u in refs:
        units.append(
            UnitRow(
                u.id, u.code, u.name, u.kind, u.ownership, u.county_id,
                cidx.get(u.county_id, -1),
            )
        )  # fmt: skip
    next_id = max((u.id for u in refs), default=0) + 1
    n_gen = max(ctx.scale.units - len(refs), 0)
    kind_counts = apportion([float(k[1]) for k in S.UNIT_KINDS], n_gen)
    places = {i: _place_names(ctx.rng("places", c.code)) for i, c in enumerate(counties)}
    place_pos = defaultdict(int)
    serial = defaultdict(int)
    table = ctx.tables["unit"]
    w = ctx.writer("unit")
    created = ts(ctx.today - datetime.timedelta(days=365 * ctx.scale.years + 400))
    for (kind, _n, owners, _tpu), count in zip(S.UNIT_KINDS, kind_counts, strict=True):
        if not count:
            continue
        if kind in ("training_center", "subject_center"):
            per_county = apportion([1.0] * len(counties), count)
        elif kind == "central_agency":
            per_county = [0] * len(counties)
            per_county[cidx[next(c.pk for c in counties if c.code == "63000")]] = count
        elif kind == "overseas_school":
            per_county = None
        else:
            per_county = apportion(weights, count)
        slots = (
            [-1] * count
            if per_county is None
            else [i for i, k in enumerate(per_county) for _ in range(k)]
        )
        owner_codes = sorted(owners)
        owner_counts = apportion([owners[o] for o in owner_codes], count)
        owner_list = [o for o, k in zip(owner_codes, owner_counts, strict=True) for _ in range(k)]
        rng.shuffle(owner_list)
        for ci, ownership in zip(slots, owner_list, strict=True):
            county = counties[ci] if ci >= 0 else None
            key = ci if ci >= 0 else 99
            place = places[max(ci, 0)][place_pos[key] % len(places[max(ci, 0)])]
            place_pos[key] += 1
            n = serial[(kind, ci if kind in _SCHOOL_DIGIT else None)]
            serial[(kind, ci if kind in _SCHOOL_DIGIT else None)] += 1
            if kind in _SCHOOL_DIGIT:
                code = (
                    f"{ci + 1:02d}{_SCHOOL_DIGIT[kind]}{n:03d}"
                    if n < 1000
                    else (f"{ci + 1:02d}{_SCHOOL_DIGIT[kind]}{n:04d}")
                )
            else:
                code = f"{_ORG_PREFIX[kind]}{n + 1:05d}"
            name = _unit_name(
                kind, ownership, county.name if county else "", place,
                serial[(kind, ci if kind in _SCHOOL_DIGIT else None)] - 1, rng,
            )  # fmt: skip
            row = UnitRow(
                next_id, code, name, kind, ownership, county.pk if county else None, ci,
            )  # fmt: skip
            units.append(row)
            street = rng.choice(("中山路", "中正路", "民生路", "復興路", "建國路", "光明街"))
            w.add(
                table.line(
                    next_id, code, name, kind, ownership, row.county_id,
                    f"{county.name if county else ''}{place}{street}{rng.randint(1, 399)}號",
                    _phone(rng), f"unit{next_id}@school.example", created, created,
                )
            )  # fmt: skip
            next_id += 1
    w.flush()
    ctx.units = units
    for u in units:
        u.stage = _STAGE_OF_KIND.get(u.kind, "")
        u.transmits = u.county_idx >= 0 and counties[u.county_idx].transmits_own_data


def _route_units(ctx: Ctx):
    """Reviewing centers through organizations.routing, once per (kind, ownership, county)."""
    from inservice.core.errors import DomainError
    from inservice.organizations import reference
    from inservice.organizations.models import Unit
    from inservice.organizations.routing import reviewing_center

    national = reference.national_center().pk
    cache: dict[tuple, tuple[int, int]] = {}
    for u in ctx.units:
        key = (u.kind, u.ownership, u.county_id)
        if key not in cache:
            unit = Unit.objects.get(pk=u.id)
            try:
                online = reviewing_center(unit, on=ctx.today).pk
            except DomainError:
                online = national
            try:
                county = reviewing_center(unit, on=ctx.today, source="county_transmit").pk
            except DomainError:
                county = online
            cache[key] = (online, county)
        u.center_id, u.transmit_center_id = cache[key]


def _make_staff(ctx: Ctx, password: str) -> int:
    """One approved chief per unit; returns the next user id."""
    tu, ts_ = ctx.tables["user"], ctx.tables["staff"]
    wu, ws = ctx.writer("user"), ctx.writer("staff")
    rng = ctx.rng("staff")
    joined = ts(ctx.today - datetime.timedelta(days=365 * ctx.scale.years))
    user_id = 1
    for u in ctx.units:
        username = f"s{u.code}"
        wu.add(
            tu.line(
                user_id, password, username, "staff", _person_name(rng),
                f"{username.lower()}@staff.example", joined, joined,
            )
        )  # fmt: skip
        ws.add(ts_.line(user_id, user_id, u.id, "chief", "active", "承辦人", joined, joined))
        u.staff_user_id = user_id
        user_id += 1
    wu.flush()
    ws.flush()
    return user_id


@dataclass
class TeacherPlan:
    n: int
    unit_idx: list[int]  # index into ctx.units, -1 for no serving unit
    county_idx: list[int]
    start_year: list[int]
    weight: list[float]
    anchor: int
    user_offset: int


def _make_teachers(ctx: Ctx, first_user_id: int, password: str) -> TeacherPlan:
    from inservice.accounts.services.teachers import PRIVACY_NOTICE_VERSION

    rng = ctx.rng("teachers")
    n = ctx.scale.teachers
    units = ctx.units
    tpu = {k[0]: k[3] for k in S.UNIT_KINDS}
    cand = [i for i, u in enumerate(units) if tpu.get(u.kind, 0) > 0]
    no_unit = n // 100
    weights = [tpu[units[i].kind] * rng.uniform(0.5, 1.5) for i in cand]
    per_unit = apportion(weights, n - no_unit)
    unit_idx = [i for i, k in zip(cand, per_unit, strict=True) for _ in range(k)]
    unit_idx += [-1] * no_unit
    for i, k in zip(cand, per_unit, strict=True):
        units[i].teachers = k
    # The anchor: the first teacher of an elementary school of 臺中市 (or any school).
    anchor = 0
    for t, ui in enumerate(unit_idx):
        if ui >= 0 and units[ui].kind == "elementary":
            anchor = t
            if ctx.counties[units[ui].county_idx].code == "66000":
                break
    cur = ctx.today.year
    protector = IdProtector(ctx.seed)
    tt, tu = ctx.tables["teacher"], ctx.tables["user"]
    wt, wu = ctx.writer("teacher"), ctx.writer("user")
    county_codes = [c.code for c in ctx.counties]
    start_year, county_idx, weight = [], [], []
    titles = ("15-4",) * 16 + ("15-3",) * 3 + ("15-5",) * 2 + ("15-2",)
    mult = 7919
    for t in range(n):
        ui = unit_idx[t]
        ci = units[ui].county_idx if ui >= 0 else rng.randrange(len(county_codes))
        if ci < 0:
            ci = rng.randrange(len(county_codes))
        county_idx.append(ci)
        if t == anchor:
            start = cur - 40
        else:
            start = cur - int((rng.random() ** 1.4) * 38)
        start_year.append(start)
        weight.append(rng.uniform(0.4, 1.6))
        sex = "F" if rng.random() < 0.7 else "M"
        r = rng.random()
        seven = f"{(t * mult + 1234567 + ctx.seed * 101) % 10_000_000:07d}"
        letter = S.COUNTY_ID_LETTERS.get(county_codes[ci], "A")
        if r < 0.975:
            number = id_number(letter, "2" if sex == "F" else "1", seven)
        elif r < 0.995:
            number = id_number(letter, "9" if sex == "F" else "8", seven)
        else:
            number = id_number(
                letter, "BD"[rng.randrange(2)] if sex == "F" else "AC"[rng.randrange(2)], seven
            )
        blob, digest, kind, hint = protector.protect(number)
        name = _person_name(rng)
        birth = datetime.date(start - rng.randint(22, 30), rng.randint(1, 12), rng.randint(1, 28))
        joined_day = datetime.date(max(start, 2005), rng.randint(1, 12), rng.randint(1, 28))
        if joined_day > ctx.today:
            joined_day = ctx.today
        joined = ts(joined_day, 10)
        user_id = first_user_id + t
        username = f"t{t + 1:07d}"
        wu.add(
            tu.line(
                user_id, password, username, "teacher", name,
                f"{username}@teacher.example", joined, joined,
            )
        )  # fmt: skip
        ui_id = units[ui].id if ui >= 0 else None
        stage = units[ui].kind if ui >= 0 else ""
        title = (
            "15-13"
            if stage == "kindergarten" and rng.random() < 0.1
            else titles[rng.randrange(len(titles))]
        )
        pid = personal_identifier_for(t * 104729 + 100_000_007 + ctx.seed)
        wt.add(
            tt.line(
                t + 1, user_id, name, blob, digest, kind, hint, pid, sex, birth, title, "",
                ui_id, joined, PRIVACY_NOTICE_VERSION, joined, joined,
            )
        )  # fmt: skip
        if len(wt.buffer) >= 20000:
            wt.flush()
            wu.flush()
    wt.flush()
    wu.flush()
    return TeacherPlan(n, unit_idx, county_idx, start_year, weight, anchor, first_user_id)


# --- courses ---------------------------------------------------------------------------------


@dataclass
class Catalog:
    items: dict  # (stage, category number, year) -> [(code, name)]
    tags: dict  # year -> [(code, name)]
    subjects: dict  # stage -> [(code, domain name)]


def _catalog(years: list[int]) -> Catalog:
    from inservice.catalog import selectors

    stages = ("kindergarten", "elementary", "junior_high", "senior_high")
    items = {}
    tags = {}
    for year in years:
        first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        for stage in stages:
            for cat in range(1, 6):
                a = {t.code: t.name for t in selectors.topic_items(stage, cat, on=first)}
                b = {t.code for t in selectors.topic_items(stage, cat, on=last)}
                pairs = [(c, nm) for c, nm in a.items() if c in b and not c.endswith("-99")]
                items[(stage, cat, year)] = pairs
        tags[year] = [
            (t.code, t.name)
            for t in selectors.all_tags()
            if t.is_valid_on(first) and t.is_valid_on(last)
        ]
    stage_codes = {"kindergarten": ("KG",), "elementary": ("ES",), "junior_high": ("JH",),
                   "senior_high": ("SH", "VH")}  # fmt: skip
    subjects = {}
    today = timezone.localdate()
    for stage, codes_ in stage_codes.items():
        subjects[stage] = [
            (s.code, s.domain_name)
            for code in codes_
            for s in selectors.subjects(code, on=today)
            if s.domain_name != "跨領域"
        ]
    return Catalog(items, tags, subjects)


_DAY_WEIGHT = (1.5, 1.5, 3.0, 1.5, 1.5, 0.8, 0.3)  # Monday .. Sunday (週三下午研習)
_TARGET_STAGE = {
    "kindergarten": "14-5",
    "elementary": "14-4",
    "junior_high": "14-3",
    "senior_high": "14-1",
}
_CATEGORY_W = (("5-1", 45), ("5-2", 15), ("5-3", 12), ("5-4", 15), ("5-5", 8), ("5-6", 5))
_OUTLINES = (
    "本研習以「{t}」為主題，說明理念並以實例帶領教師設計課堂活動，分享教學現場的實施經驗。",
    "透過{d}，引導教師理解「{t}」的核心概念，並共同研發可在課堂使用的教材與評量工具。",
    "邀請具實務經驗的講師分享「{t}」的推動策略，並安排分組討論與成果發表。",
    "研習內容包括「{t}」的相關法規與政策說明、案例分析及校內推動的具體作法。",
)
_DELIVERY_NAMES = {"11-1": "講述", "11-2": "研討", "11-3": "實作", "11-4": "參訪",
                   "11-5": "觀課", "11-6": "線上課程"}  # fmt: skip


def _pick_w(rng, pairs):
    total = sum(w for _v, w in pairs)
    r = rng.random() * total
    for v, w in pairs:
        r -= w
        if r < 0:
            return v
    return pairs[-1][0]


@dataclass
class YearCourses:
    ids: list[int]
    county: list[int]
    days: list[tuple[int, ...]]  # ordinals
    per_day: list[float]
    status: list[str]
    reg_start: list[int]  # ordinal
    reg_end: list[int]
    capacity: list[int]
    rec_frag: list[str]  # record columns after teacher id
    day_frag: list[str]  # "\t{date}\t{h}\t{h}\n" per day, joined with a marker
    day_dates: list[tuple[str, ...]]
    closed_ts: list[str]


def _course_plan(ctx: Ctx) -> dict[int, list[int]]:
    """Courses per (year, month), apportioned exactly: the seasonal curve of 附件十二 十三."""
    years = ctx.years
    year_w = [0.85 + 0.3 * i / max(len(years) - 1, 1) for i in range(len(years))]
    per_year = apportion(year_w, ctx.scale.courses)
    mw = S.month_weights()
    return {y: apportion(mw, n) for y, n in zip(years, per_year, strict=True)}


class CourseMaker:
    def __init__(self, ctx: Ctx, catalog: Catalog, plan: TeacherPlan):
        self.ctx = ctx
        self.catalog = catalog
        self.tsv = TsvBuilder()
        units = ctx.units
        w = [S.COURSE_WEIGHT.get(u.kind, 1.0) * (1.0 + u.teachers / 30.0) for u in units]
        self.cum = []
        acc = 0.0
        for x in w:
            acc += x
            self.cum.append(acc)
        self.total_w = acc
        self.next_id = 1
        self.t = {k: ctx.tables[k] for k in ("course", "version", "search", "options")}

    def unit_for(self, rng) -> UnitRow:
        i = bisect.bisect_right(self.cum, rng.random() * self.total_w)
        return self.ctx.units[min(i, len(self.ctx.units) - 1)]

    def make_year(self, year: int, months: list[int]) -> YearCourses:
        ctx = self.ctx
        rng = ctx.rng("courses", year)
        today = ctx.today
        today_ord = today.toordinal()
        cur_year = year == today.year
        dates = []
        for m, n in enumerate(months, start=1):
            first = datetime.date(year, m, 1)
            nd = (datetime.date(year + (m == 12), m % 12 + 1, 1) - first).days
            days = [first + datetime.timedelta(days=i) for i in range(nd)]
            cum, acc = [], 0.0
            for d in days:
                acc += _DAY_WEIGHT[d.weekday()]
                cum.append(acc)
            for _ in range(n):
                dates.append(days[bisect.bisect_right(cum, rng.random() * acc)])
        dates.sort()
        yc = YearCourses([], [], [], [], [], [], [], [], [], [], [], [])
        tc, tv, tsx = self.t["course"], self.t["version"], self.t["search"]
        wc, wv, ws = ctx.writer("course"), ctx.writer("version"), ctx.writer("search")
        cat = self.catalog
        tags_year = cat.tags.get(year, [])
        roc_year = year - 1911
        for start in dates:
            cid = self.next_id
            self.next_id += 1
            code = FIRST_COURSE_CODE + cid - 1
            u = self.unit_for(rng)
            stage = (
                u.stage
                or ("elementary", "junior_high", "senior_high", "kindergarten")[rng.randrange(4)]
            )
            # form fields
            school = u.kind in _STAGE_OF_KIND or u.kind in ("special_ed_school", "experimental")
            class_type = (
                ("1-2" if rng.random() < 0.6 else "1-1")
                if school
                else ("1-1" if rng.random() < 0.85 else ("1-3" if rng.random() < 0.6 else "1-4"))
            )
            category = _pick_w(rng, _CATEGORY_W)
            catn = int(category[2])
            if catn == 6:
                topic_item, topic_name = "", S.LIFE_TOPICS[rng.randrange(len(S.LIFE_TOPICS))]
            else:
                pool = cat.items.get((stage, catn, year)) or []
                if pool:
                    topic_item, topic_name = pool[rng.randrange(len(pool))]
                else:
                    category, topic_item = "5-6", ""
                    topic_name = S.LIFE_TOPICS[rng.randrange(len(S.LIFE_TOPICS))]
            subj = cat.subjects.get(stage) or [("", "")]
            subject, domain = subj[rng.randrange(len(subj))]
            tags = []
            if tags_year and rng.random() < 0.18:
                tags.append(tags_year[rng.randrange(len(tags_year))])
                if rng.random() < 0.15:
                    other = tags_year[rng.randrange(len(tags_year))]
                    if other != tags[0]:
                        tags.append(other)
            suffix = S.NAME_SUFFIXES[rng.randrange(len(S.NAME_SUFFIXES))]
            school_year = roc_year - (1 if start.month < 8 else 0)
            p = rng.random()
            if p < 0.35 and domain:
                name = f"{school_year}學年度 {domain}領域 {topic_name}{suffix}"
                use_subject = subject
            elif p < 0.55:
                name = f"{topic_name}{suffix}"
                use_subject = ""
            elif p < 0.7 and tags:
                name = f"{tags[0][1]}：{topic_name}{suffix}"
                use_subject = ""
            elif p < 0.8 and school:
                name = f"{u.name}校本研習－{topic_name}"
                use_subject = ""
            elif p < 0.92:
                county_name = ctx.counties[u.county_idx].name if u.county_idx >= 0 else ""
                name = f"{roc_year}年度{county_name}{topic_name}{suffix}(第{rng.randint(1, 6)}場)"
                use_subject = ""
            else:
                name = f"{domain or '跨領域'}教師專業學習社群：{topic_name}"
                use_subject = subject if domain else ""
            level = _pick_w(rng, (("7-1", 50), ("7-2", 40), ("7-3", 5), ("7-4", 5)))
            digital = rng.random() < 0.06
            if digital:
                delivery = ["11-6"]
            else:
                delivery = [("11-1", "11-3", "11-2", "11-5")[min(int(rng.random() * 5), 3)]]
                if rng.random() < 0.3:
                    extra = ("11-3", "11-2", "11-4")[rng.randrange(3)]
                    if extra not in delivery:
                        delivery.append(extra)
                delivery.sort()
            multi = rng.random() < 0.08
            if multi:
                ndays = 2 if rng.random() < 0.7 else 3
                per_day = 6.0 if rng.random() < 0.6 else 3.0
            else:
                ndays = 1
                per_day = (1.5, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0, 3.5, 4.0, 6.0)[rng.randrange(10)]
            end = start + datetime.timedelta(days=ndays - 1)
            if end.year != year:
                end, ndays = start, 1
            hours = per_day * ndays
            slots = []
            wd = start.weekday()
            slots.append("12-3" if wd >= 5 else ("12-2" if rng.random() < 0.1 else "12-1"))
            if start.month in (7, 8):
                slots.append("12-4")
            elif start.month in (1, 2):
                slots.append("12-5")
            if digital:
                slots.append("12-6")
            slots.sort()
            reg_start = start - datetime.timedelta(days=rng.randint(14, 45))
            reg_end = start - datetime.timedelta(days=rng.randint(1, 7))
            opens_at = (
                "00:00:00" if rng.random() < 0.8 else ("08:00:00", "12:00:00")[rng.randrange(2)]
            )
            created_day = reg_start - datetime.timedelta(days=rng.randint(3, 20))
            submitted_day = created_day + datetime.timedelta(days=1)
            reviewed_day = submitted_day + datetime.timedelta(days=rng.randint(0, 3))
            auto = class_type in ("1-1", "1-2") and school and rng.random() < 0.5
            classes = 2 if rng.random() < 0.08 else 1
            seats = (30, 30, 40, 40, 50, 60, 80, 100)[rng.randrange(8)]
            target_stage = _TARGET_STAGE.get(stage, "14-4")
            targets = [target_stage] if rng.random() < 0.8 else sorted({target_stage, "14-6"})
            titles = ["15-4"] if rng.random() < 0.5 else ["15-3", "15-4", "15-5"]
            if stage == "kindergarten":
                titles = sorted(set(titles) | {"15-13", "15-14"}, key=lambda c: int(c[3:]))
            # status
            source = "county_transmit" if u.transmits and rng.random() < 0.85 else "online"
            center = u.transmit_center_id if source == "county_transmit" else u.center_id
            end_ord = end.toordinal()
            closed_at = None
            cancelled_at = None
            if rng.random() < 0.005:
                status = "cancelled"
                cancelled_at = ts(min(reg_end, today) if cur_year else reg_end, 15)
            elif end_ord < today_ord - 21:
                status = "closed" if (not cur_year or rng.random() < 0.97) else "published"
            elif end_ord < today_ord:
                status = "closed" if rng.random() < 0.5 else "published"
            else:
                status = "published"
            if status == "closed":
                closed_day = end + datetime.timedelta(days=rng.randint(3, 20))
                if closed_day >= today:
                    closed_day = today - datetime.timedelta(days=1)
                closed_at = ts(closed_day, 10, 30)
            published_at = ts(reviewed_day, 11)
            created = ts(created_day, 9)
            updated = closed_at or cancelled_at or published_at
            county_id = u.county_id
            instructor = _person_name(rng)
            outline = _OUTLINES[rng.randrange(len(_OUTLINES))].format(
                t=topic_name, d=_DELIVERY_NAMES[delivery[0]]
            )
            place = f"13:30–16:30 {u.name}{S.ROOMS[rng.randrange(len(S.ROOMS))]}"
            tag_codes = [c for c, _n in tags]
            wc.add(
                tc.line(
                    cid, code, u.id, status, source, cid, center, name, start, end,
                    u.staff_user_id, created, updated, published_at, cancelled_at, "",
                    closed_at, 2,
                )
            )  # fmt: skip
            wv.add(
                tv.line(
                    cid, cid, 1, "approved", class_type, "2-1" if rng.random() < 0.9 else "2-2",
                    f"府教研字第{roc_year}{rng.randint(0, 9_999_999):07d}號", name,
                    tag_codes, use_subject, stage if topic_item else "",
                    category, topic_item, level, instructor,
                    ("8-1", "8-2", "8-2", "8-3")[rng.randrange(4)], outline, delivery, slots,
                    hours_text(hours), targets, titles, reg_start, opens_at, reg_end, start, end,
                    place, ["21-7"] if rng.random() < 0.6 else ["21-1"],
                    "22-3" if rng.random() < 0.9 else "22-2",
                    classes, seats, _person_name(rng), _phone(rng), f"contact{cid}@school.example",
                    "26-1" if rng.random() < 0.85 else "26-2", u.staff_user_id, created, updated,
                    ts(submitted_day, 16), u.staff_user_id, published_at, auto,
                )
            )  # fmt: skip
            if status in ("published", "closed"):
                reg_open = f"{reg_start.isoformat()} {opens_at}{TZ}"
                reg_close = f"{(reg_end + datetime.timedelta(days=1)).isoformat()} 00:00:00{TZ}"
                ws.add(
                    tsx.line(
                        cid, code, name, status, u.id, county_id, start, end, reg_open,
                        reg_close, published_at, class_type,
                        stage if topic_item else "", category,
                        topic_item, level, targets, tag_codes, delivery, slots,
                        self.tsv.literal(
                            name, ctx.units_by_id_name[u.id], outline,
                            self.tsv.tokens.code_lexemes({
                                "county_id": county_id, "category": category,
                                "topic_item": topic_item, "level": level,
                                "class_type": class_type, "tags": tag_codes,
                                "target_stages": targets, "delivery": delivery,
                                "time_slots": slots,
                            }),
                        ),
                        "", updated,
                    )
                )  # fmt: skip
            # what records and registrations need
            days = tuple(end_ord - ndays + 1 + i for i in range(ndays))
            yc.ids.append(cid)
            yc.county.append(u.county_idx)
            yc.days.append(days)
            yc.per_day.append(per_day)
            yc.status.append(status)
            yc.reg_start.append(reg_start.toordinal())
            yc.reg_end.append(reg_end.toordinal())
            yc.capacity.append(classes * seats)
            yc.closed_ts.append(closed_at or "")
            if status == "closed":
                yc.rec_frag.append(
                    "\t".join(
                        (
                            str(cid),
                            str(code),
                            name,
                            str(u.id),
                            ctx.units_by_id_name[u.id],
                            source,
                            "",
                            start.isoformat(),
                            end.isoformat(),
                            hours_text(hours),
                            hours_text(hours),
                            "0.0",
                            "\\N",
                            class_type,
                            category,
                            topic_item,
                            level,
                            jlist(tag_codes),
                            closed_at,
                            closed_at,
                        )
                    )
                    + ctx.tables["record"].suffix
                )
            else:
                yc.rec_frag.append("")
            yc.day_frag.append(
                f"\t{hours_text(per_day)}\t{hours_text(per_day)}" + ctx.tables["day"].suffix
            )
            yc.day_dates.append(tuple(datetime.date.fromordinal(o).isoformat() for o in days))
        for key in ("course", "version", "search"):
            ctx.writer(key).flush()
        return yc


# --- records and registrations ------------------------------------------------------------


class RecordMaker:
    def __init__(self, ctx: Ctx, plan: TeacherPlan):
        self.ctx = ctx
        self.plan = plan
        self.next_record = 1
        self.next_day = 1
        self.next_reg = 1
        self.next_options = 1
        self.partners = S.PARTNERS
        pw = [p[2] for p in S.PARTNERS]
        self.partner_cum = []
        acc = 0.0
        for x in pw:
            acc += x
            self.partner_cum.append(acc)
        self.partner_total = acc
        self.tr, self.td = ctx.tables["record"], ctx.tables["day"]
        self.wr, self.wd = ctx.writer("record"), ctx.writer("day")
        self.dropped = 0
        self.partner_records = 0
        self.anchor_codes: list[str] = []
        self.partner_catalog = {}

    # yearly counts per teacher ------------------------------------------------------------
    def allocate(self):
        ctx, plan = self.ctx, self.plan
        years = ctx.years
        first = years[0]
        cur = ctx.today.year
        elapsed = max((ctx.today - datetime.date(cur, 1, 1)).days - 20, 0) / 365.0
        rng = ctx.rng("allocate")
        total = ctx.scale.records - ctx.scale.anchor_records
        w = []
        for t in range(plan.n):
            if t == plan.anchor:
                w.append(0.0)
                continue
            active = cur - max(plan.start_year[t], first)  # full past years
            w.append((active + elapsed) * plan.weight[t])
        per_teacher = apportion(w, total)
        # per (year) arrays of counts
        self.counts = {y: [0] * plan.n for y in years}
        for t in range(plan.n):
            r = per_teacher[t]
            if t == plan.anchor or r == 0:
                continue
            ys = [y for y in years if y >= plan.start_year[t]]
            yw = [1.0 if y < cur else max(elapsed, 0.02) for y in ys]
            for y, k in zip(ys, self._spread(rng, yw, r), strict=True):
                self.counts[y][t] = k
        # the anchor: 40 years; the years before the window are historic (county) records
        a = plan.anchor
        span = list(range(cur - 39, cur + 1))
        yw = [1.0 if y < cur else max(elapsed, 0.02) for y in span]
        self.anchor_counts = dict(zip(span, apportion(yw, ctx.scale.anchor_records), strict=True))
        for y in years:
            self.counts[y][a] = self.anchor_counts.get(y, 0)
        # registrations (current year)
        regs = ctx.scale.registrations - ctx.scale.closing_attendees
        self.regs = apportion([plan.weight[t] for t in range(plan.n)], regs)

    @staticmethod
    def _spread(rng, weights, total):
        wsum = sum(weights)
        raw = [x * total / wsum for x in weights]
        out = [int(v) for v in raw]
        rest = total - sum(out)
        if rest:
            fr = [v - int(v) + rng.random() * 0.5 for v in raw]
            for i in sorted(range(len(raw)), key=lambda i: -fr[i])[:rest]:
                out[i] += 1
        return out

    # partner courses (virtual, deterministic per partner/day/slot) -------------------------
    def _partner_course(self, p: int, ordinal: int, k: int):
        key = (p, ordinal, k)
        hit = self.partner_catalog.get(key)
        if hit is not None:
            return hit
        name, prefix, _w = self.partners[p]
        r = random.Random(f"{self.ctx.seed}:partner:{p}:{ordinal}:{k}")
        topic = r.choice(("數位學習", "線上課程", "專題演講", "磨課師", "講座", "系列課程"))
        subject = r.choice(S.LIFE_TOPICS + S.ORG_FIELDS + S.SUBJECT_CENTERS)
        hours = (1.0, 1.0, 2.0, 2.0, 3.0)[r.randrange(5)]
        day = datetime.date.fromordinal(ordinal)
        closed = ts(day + datetime.timedelta(days=r.randint(1, 10)), 12)
        code = f"{prefix}{day:%Y%m%d}{k:02d}"
        frag = (
            "\t".join(
                (
                    "\\N",
                    code,
                    f"{subject}{topic}",
                    "\\N",
                    name,
                    "partner",
                    name,
                    day.isoformat(),
                    day.isoformat(),
                    hours_text(hours),
                    hours_text(hours),
                    "0.0",
                    "\\N",
                    "1-1",
                    ("5-1", "5-3", "5-6")[r.randrange(3)],
                    "",
                    "7-1",
                    "[]",
                    closed,
                    closed,
                )
            )
            + self.tr.suffix
        )
        day_frag = f"\t{day.isoformat()}\t{hours_text(hours)}\t{hours_text(hours)}" + self.td.suffix
        hit = (frag, day_frag, hours)
        if len(self.partner_catalog) < 500_000:
            self.partner_catalog[key] = hit
        return hit

    def _partner_record(self, rng, tid, used, weeks, lo, hi) -> bool:
        for _ in range(30):
            o = rng.randint(lo, hi)
            if o in used:
                continue
            i = bisect.bisect_right(self.partner_cum, rng.random() * self.partner_total)
            frag, day_frag, hours = self._partner_course(
                min(i, len(self.partners) - 1), o, rng.randrange(4)
            )
            wk = (o - 1) // 7
            if weeks.get(wk, 0.0) + hours > 35.0:
                continue
            used.add(o)
            weeks[wk] = weeks.get(wk, 0.0) + hours
            rid = self.next_record
            self.next_record += 1
            self.wr.add(f"{rid}\t{tid}\t{frag}")
            self.wd.add(f"{self.next_day}\t{rid}\t{tid}{day_frag}")
            self.next_day += 1
            self.partner_records += 1
            return True
        return False

    def _online_record(self, yc: YearCourses, c: int, tid: int):
        rid = self.next_record
        self.next_record += 1
        self.wr.add(f"{rid}\t{tid}\t{yc.rec_frag[c]}")
        tail = yc.day_frag[c]
        for d in yc.day_dates[c]:
            self.wd.add(f"{self.next_day}\t{rid}\t{tid}\t{d}{tail}")
            self.next_day += 1
        return rid

    @staticmethod
    def _fits(yc, c, used, weeks) -> bool:
        h = yc.per_day[c]
        for o in yc.days[c]:
            if o in used:
                return False
        for o in yc.days[c]:
            if weeks.get((o - 1) // 7, 0.0) + h > 35.0:
                return False
        return True

    @staticmethod
    def _take(yc, c, used, weeks):
        h = yc.per_day[c]
        for o in yc.days[c]:
            used.add(o)
            wk = (o - 1) // 7
            weeks[wk] = weeks.get(wk, 0.0) + h

    def year(self, year: int, yc: YearCourses, closing_course: int | None = None):
        ctx, plan = self.ctx, self.plan
        rng = ctx.rng("records", year)
        cur = year == ctx.today.year
        today_ord = ctx.today.toordinal()
        lo = datetime.date(year, 1, 1).toordinal()
        hi = min(datetime.date(year, 12, 31).toordinal(), today_ord - 1)
        closed_by_county = defaultdict(list)
        closed_all = []
        for c, st in enumerate(yc.status):
            if st == "closed" and c != closing_course:
                closed_by_county[yc.county[c]].append(c)
                closed_all.append(c)
        # current year: registrations pools
        if cur:
            open_all, open_by_county, held = [], defaultdict(list), []
            for c, st in enumerate(yc.status):
                if st != "published" or c == closing_course:
                    continue
                if yc.days[c][0] > today_ord and yc.reg_start[c] <= today_ord:
                    open_all.append(c)
                    open_by_county[yc.county[c]].append(c)
                elif yc.days[c][-1] < today_ord:
                    held.append(c)
            admitted = [0] * len(yc.ids)
            regw = ctx.writer("registration")
            rt = ctx.tables["registration"]
        counts = self.counts[year]
        share = S.PARTNER_SHARE
        for t in range(plan.n):
            n = counts[t]
            g = self.regs[t] if cur else 0
            if n == 0 and g == 0:
                continue
            tid = t + 1
            ci = plan.county_idx[t]
            local = closed_by_county.get(ci) or closed_all
            used: set[int] = set()
            weeks: dict[int, float] = {}
            regd: set[int] = set()
            for _ in range(n):
                if rng.random() < share or not closed_all or (cur and g <= 0):
                    if self._partner_record(rng, tid, used, weeks, lo, hi):
                        continue
                    self.dropped += 1
                    continue
                placed = False
                for attempt in range(12):
                    pool = local if attempt < 8 and rng.random() < 0.8 else closed_all
                    c = pool[rng.randrange(len(pool))]
                    if self._fits(yc, c, used, weeks):
                        self._take(yc, c, used, weeks)
                        self._online_record(yc, c, tid)
                        if cur:
                            regd.add(c)
                            g -= 1
                            q = self._queued(rng, yc, c)
                            regw.add(
                                rt.line(self.next_reg, yc.ids[c], tid, "admitted", q, q, q, None)
                            )
                            self.next_reg += 1
                            admitted[c] += 1
                        placed = True
                        break
                if not placed and not self._partner_record(rng, tid, used, weeks, lo, hi):
                    self.dropped += 1
            if cur:
                lpool = open_by_county.get(ci) or open_all
                tries = 0
                while g > 0 and tries < g * 20 + 20:
                    tries += 1
                    r = rng.random()
                    if r < 0.6 and open_all:
                        pool = lpool if rng.random() < 0.8 else open_all
                        kind = "open"
                    elif r < 0.85 and closed_all:
                        pool = local
                        kind = "cancelled"
                    elif held:
                        pool = held
                        kind = "held"
                    else:
                        continue
                    c = pool[rng.randrange(len(pool))]
                    if c in regd or any(o in used for o in yc.days[c]):
                        continue
                    regd.add(c)
                    for o in yc.days[c]:
                        used.add(o)
                    q = self._queued(rng, yc, c)
                    if kind == "cancelled":
                        status, cancelled = "cancelled", q
                    elif admitted[c] < yc.capacity[c]:
                        status, cancelled = "admitted", None
                        admitted[c] += 1
                    else:
                        status, cancelled = "waitlisted", None
                    regw.add(rt.line(self.next_reg, yc.ids[c], tid, status, q, q, q, cancelled))
                    self.next_reg += 1
                    g -= 1
                # Still short (a small scale, a busy teacher): cancelled registrations on any
                # course of the year that took registrations, without the day check.
                taken = closed_all + held
                for _ in range(g * 50 if taken else 0):
                    if g <= 0:
                        break
                    c = taken[rng.randrange(len(taken))]
                    if c in regd:
                        continue
                    regd.add(c)
                    q = self._queued(rng, yc, c)
                    regw.add(rt.line(self.next_reg, yc.ids[c], tid, "cancelled", q, q, q, q))
                    self.next_reg += 1
                    g -= 1
                self.short_regs = getattr(self, "short_regs", 0) + g
            if len(self.wr.buffer) > 50_000:
                self.wr.flush()
            if len(self.wd.buffer) > 50_000:
                self.wd.flush()
        self.wr.flush()
        self.wd.flush()
        if cur:
            regw.flush()
            self.admitted = admitted

    def _queued(self, rng, yc, c) -> str:
        lo = yc.reg_start[c]
        hi = min(yc.reg_end[c], self.ctx.today.toordinal() - 1)
        o = lo if hi <= lo else rng.randint(lo, hi)
        return ts(datetime.date.fromordinal(o), rng.randint(0, 23), rng.randint(0, 59))

    def historic(self, unit: UnitRow | None):
        """The anchor teacher's records from before the window (county records, no course)."""
        ctx, plan = self.ctx, self.plan
        rng = ctx.rng("historic")
        tid = plan.anchor + 1
        org_id = str(unit.id) if unit else "\\N"
        org_name = unit.name if unit else ""
        for year in sorted(self.anchor_counts):
            if year >= ctx.years[0]:
                continue
            used = set()
            lo = datetime.date(year, 1, 1).toordinal()
            for _ in range(self.anchor_counts[year]):
                for _try in range(50):
                    o = lo + rng.randrange(365)
                    if o not in used:
                        break
                used.add(o)
                day = datetime.date.fromordinal(o)
                hours = (2.0, 3.0, 3.0, 6.0)[rng.randrange(4)]
                code = f"H{day:%Y%m%d}"
                closed = ts(day + datetime.timedelta(days=14), 10)
                topic = (
                    S.LIFE_TOPICS[rng.randrange(len(S.LIFE_TOPICS))]
                    if rng.random() < 0.2
                    else (S.SUBJECT_CENTERS[rng.randrange(len(S.SUBJECT_CENTERS))] + "教學研習")
                )
                rid = self.next_record
                self.next_record += 1
                self.wr.add(
                    "\t".join(
                        (
                            str(rid),
                            str(tid),
                            "\\N",
                            code,
                            f"{year - 1911}年度{topic}",
                            org_id,
                            org_name,
                            "county_transmit",
                            "",
                            day.isoformat(),
                            day.isoformat(),
                            hours_text(hours),
                            hours_text(hours),
                            "0.0",
                            "\\N",
                            "1-1",
                            "5-1",
                            "",
                            "7-1",
                            "[]",
                            closed,
                            closed,
                        )
                    )
                    + self.tr.suffix
                )
                self.wd.add(
                    f"{self.next_day}\t{rid}\t{tid}\t{day.isoformat()}\t{hours_text(hours)}\t"
                    f"{hours_text(hours)}" + self.td.suffix
                )
                self.next_day += 1
        self.wr.flush()
        self.wd.flush()


# --- the entry point ---------------------------------------------------------------------


def _planned(scale: S.Scale) -> dict[str, int]:
    days = int(scale.records * 1.12)
    return {
        "organizations_unit": scale.units,
        "accounts_user": scale.units + scale.teachers,
        "accounts_teacher": scale.teachers,
        "courses_course": scale.courses,
        "courses_courseversion": scale.courses,
        "search_coursesearchentry": scale.courses,
        "records_trainingrecord": scale.records,
        "records_trainingday": days,
        "enrollment_registration": scale.registrations,
    }


def generate(
    scale: str = "tiny",
    seed: int = 1,
    *,
    today: datetime.date | None = None,
    force: bool = False,
    out_dir: str | Path | None = None,
    progress: bool = True,
    stream=None,
    using: str = "default",
) -> dict:
    """Fill the database with the scale's synthetic data; returns the bench anchors (also
    written to `<out_dir>/dataset-<scale>-<seed>.json`, default `var/` next to the repo)."""
    from django.contrib.auth.hashers import make_password

    from inservice.organizations.models import Unit

    if scale not in S.SCALES:
        raise DatasetError(f"unknown scale {scale!r}; choose one of {', '.join(S.SCALES)}")
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise DatasetError(
            f"generate_dataset needs PostgreSQL (COPY, sequences, GIN indexes); this database "
            f"is {connection.vendor}. Set DATABASE_URL to a PostgreSQL database."
        )
    sc = S.SCALES[scale]
    today = today or timezone.localdate()
    years = list(range(today.year - sc.years + 1, today.year + 1))
    prog = Progress(_planned(sc), enabled=progress, stream=stream)
    models = _models()
    password = make_password(BENCH_PASSWORD, salt=f"benchdata{seed}")
    started = timezone.now()
    with transaction.atomic(using=using):
        connection.ensure_connection()
        cur = connection.connection.cursor()
        ctx = Ctx(sc, seed, today, years, prog, cur, set())
        reference_codes = set(Unit.objects.using(using).values_list("code", flat=True)) & (
            _reference_codes()
        )
        _check_and_clear(ctx, force, reference_codes)
        big = [models[k]._meta.db_table for k in FIELDS]
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = bool(cur.fetchone()[0])
        dropped_fks = []
        if superuser:
            cur.execute("SET LOCAL session_replication_role = replica")
        else:
            dropped_fks = _drop_foreign_keys(cur, big)
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cur.execute("SET LOCAL synchronous_commit = off")
        index_defs = _drop_indexes(cur, big)
        prog.message(f"dropped {len(index_defs)} indexes (primary keys kept); loading")
        pipe = ctx.pipe = Pipe(cur)
        try:
            for key, model in models.items():
                ctx.tables[key] = Table(model, FIELDS[key])
                ctx.writers[key] = Writer(
                    pipe, ctx.tables[key], prog, freeze=model._meta.db_table in ctx.freeze
                )
            prog.set_phase("units")
            _make_units(ctx, models)
            pipe.drain()
            ctx.units_by_id_name = {u.id: u.name for u in ctx.units}
            _route_units(ctx)
            next_user = _make_staff(ctx, password)
            prog.set_phase("teachers")
            plan = _make_teachers(ctx, next_user, password)
            pipe.drain()
            catalog = _catalog(years)
            course_plan = _course_plan(ctx)
            maker = CourseMaker(ctx, catalog, plan)
            records = RecordMaker(ctx, plan)
            records.allocate()
            deep_codes = []
            closing = None
            for year in years:
                prog.set_phase(f"year {year}")
                yc = maker.make_year(year, course_plan[year])
                if yc.ids:
                    deep_codes.append(FIRST_COURSE_CODE + yc.ids[len(yc.ids) // 2] - 1)
                closing_c = None
                if year == today.year:
                    closing_c = _pick_closing_course(ctx, yc)
                records.year(year, yc, closing_course=closing_c)
                if year == today.year:
                    pipe.drain()
                    closing = _closing_course(ctx, records, yc, closing_c, plan)
                    _options(ctx, records, yc)
            anchor_unit_idx = plan.unit_idx[plan.anchor]
            records.historic(ctx.units[anchor_unit_idx] if anchor_unit_idx >= 0 else None)
            pipe.drain()
            pipe.close()
        except BaseException:
            pipe.abort()
            raise
        prog.set_phase("indexes")
        for definition in index_defs:
            cur.execute(definition)
        for table, name, definition in dropped_fks:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for table in big:
            if table == "search_coursesearchentry":  # keyed by course, no sequence
                continue
            sql = f"SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST((SELECT max(id) FROM \"{table}\"), 1))"  # noqa: E501, S608 (model table)
            cur.execute(sql, [table])
        last_code = FIRST_COURSE_CODE + maker.next_id - 2
        cur.execute("SELECT last_value, is_called FROM courses_course_code_seq")
        last_value, is_called = cur.fetchone()
        if last_code >= last_value:
            cur.execute("SELECT setval('courses_course_code_seq', %s, true)", [last_code])
        cur.execute(
            f"COMMENT ON TABLE courses_course IS '{MARKER} scale={scale} seed={seed} "
            f"today={today.isoformat()}'"
        )
        prog.set_phase("analyze")
        cur.execute("ANALYZE")
    from inservice.search import results_cache

    results_cache.changed()  # the search table was written behind the app's back
    anchors = _anchors(ctx, plan, records, deep_codes, closing, started)
    path = _write_anchors(anchors, scale, seed, out_dir)
    anchors["path"] = str(path)
    prog.set_phase(f"done, anchors in {path}")
    return anchors


def _reference_codes() -> set[str]:
    from inservice.organizations import reference_data as r

    codes = {u[0] for u in r.UNITS}
    codes |= {r.county_bureau_code(c[0]) for c in r.COUNTIES}
    return codes


def _pick_closing_course(ctx: Ctx, yc: YearCourses) -> int | None:
    """A course held in the last days, still published (not closed): the closing benchmark."""
    today_ord = ctx.today.toordinal()
    best = None
    for c in range(len(yc.ids) - 1, -1, -1):
        if yc.status[c] == "published" and today_ord - 14 <= yc.days[c][-1] < today_ord - 1:
            best = c
            break
    return best


def _closing_course(ctx: Ctx, records: RecordMaker, yc: YearCourses, c, plan) -> dict | None:
    n = ctx.scale.closing_attendees
    if c is None:
        records.short_regs = getattr(records, "short_regs", 0) + n
        return None
    rng = ctx.rng("closing")
    cid = yc.ids[c]
    # enough seats for everyone (the version row says 1 class; raise its seats)
    seats = max(yc.capacity[c], n)
    ctx.cursor.execute(
        "UPDATE courses_courseversion SET classes = 1, seats_per_class = %s WHERE id = %s",
        [seats, cid],
    )
    yc.capacity[c] = seats
    teachers = rng.sample(range(plan.n), min(n, plan.n))
    w = ctx.writer("registration")
    rt = ctx.tables["registration"]
    for t in sorted(teachers):
        q = records._queued(rng, yc, c)
        w.add(rt.line(records.next_reg, cid, t + 1, "admitted", q, q, q, None))
        records.next_reg += 1
    w.flush()
    records.admitted[c] += len(teachers)
    records.short_regs = getattr(records, "short_regs", 0) + n - len(teachers)
    return {
        "course_id": cid,
        "course_code": FIRST_COURSE_CODE + cid - 1,
        "admitted": len(teachers),
        "end_date": datetime.date.fromordinal(yc.days[c][-1]).isoformat(),
    }


def _options(ctx: Ctx, records: RecordMaker, yc: YearCourses):
    """Registration options of every current-year course, with the admitted counts."""
    w = ctx.writer("options")
    t = ctx.tables["options"]
    rng = ctx.rng("options")
    for c, cid in enumerate(yc.ids):
        restriction = "own_county" if rng.random() < 0.1 else "none"
        w.add(t.line(c + 1, cid, "fcfs", True, restriction, records.admitted[c]))
    w.flush()


def _anchors(ctx, plan, records, deep_codes, closing, started) -> dict:
    from django.db import connection

    a = plan.anchor
    units = ctx.units
    anchor_unit = units[plan.unit_idx[a]] if plan.unit_idx[a] >= 0 else None
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM records_trainingrecord WHERE teacher_id = %s", [a + 1])
        anchor_records = cur.fetchone()[0]
        cur.execute("SELECT personal_identifier FROM accounts_teacher WHERE id = %s", [a + 1])
        pid = cur.fetchone()[0]
        cur.execute(
            "SELECT code FROM courses_course WHERE status = 'published' AND start_date > %s "
            "ORDER BY start_date, code LIMIT 5",
            [ctx.today],
        )
        upcoming = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT min(code), max(code) FROM courses_course")
        lo, hi = cur.fetchone()
        counts = {}
        for key in ("course", "version", "search", "options", "registration", "record", "day",
                    "teacher", "user", "unit"):  # fmt: skip
            table = ctx.tables[key].name
            cur.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (model table)
            counts[table] = cur.fetchone()[0]
    center = None
    school = anchor_unit
    if school is not None:
        center = next((u for u in units if u.id == school.center_id), None)
    closing_unit = None
    if closing:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT u.code, c.reviewing_center_id FROM courses_course c "
                "JOIN organizations_unit u ON u.id = c.unit_id WHERE c.id = %s",
                [closing["course_id"]],
            )
            code, center_id = cur.fetchone()
        closing_unit = code
        closing["organizer_username"] = f"s{code}"
        rc = next((u for u in units if u.id == center_id), None)
        closing["center_username"] = f"s{rc.code}" if rc else None
    return {
        "scale": ctx.scale.name,
        "seed": ctx.seed,
        "today": ctx.today.isoformat(),
        "generated_at": started.isoformat(),
        "password": BENCH_PASSWORD,
        "counts": counts,
        "partner_records": records.partner_records,
        "dropped_records": records.dropped,
        "missing_registrations": getattr(records, "short_regs", 0),
        "teacher_40_years": {
            "teacher_id": a + 1,
            "personal_identifier": pid,
            "username": f"t{a + 1:07d}",
            "records": anchor_records,
            "unit_code": school.code if school else None,
        },
        "school_staff_username": f"s{school.code}" if school else None,
        "center_staff_username": f"s{center.code}" if center else None,
        "closing_course": closing,
        "closing_unit_code": closing_unit,
        "course_codes": {
            "oldest": lo,
            "newest": hi,
            "per_year_middle": deep_codes,
            "upcoming": upcoming,
        },
    }


def _write_anchors(anchors: dict, scale: str, seed: int, out_dir) -> Path:
    out = Path(out_dir) if out_dir is not None else Path(settings.BASE_DIR) / "var"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"dataset-{scale}-{seed}.json"
    path.write_text(json.dumps(anchors, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
