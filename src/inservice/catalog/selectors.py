"""Reads of the taxonomy (附件五), attribute tags and 課程性質, shared by pages, forms, the
partner API and exports. All results are plain frozen dataclasses built from a cached copy
of the table; retired rows stay resolvable by code but are not offered as choices.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace

from django.utils import timezone

from . import caching
from .models import (
    AttributeTag,
    CurriculumStage,
    LearningDomain,
    NodeKind,
    Subject,
    TagDefinition,
    TeacherStage,
    TopicNode,
)


def _today() -> datetime.date:
    return timezone.localdate()


def _valid(obj, on: datetime.date) -> bool:
    return (obj.valid_from is None or obj.valid_from <= on) and (
        obj.valid_to is None or on < obj.valid_to
    )


# --- Taxonomy (附件五) -------------------------------------------------------------------


class UnknownStage(LookupError):
    pass


@dataclass(frozen=True)
class Topic:
    stage: str
    code: str
    name: str
    kind: str  # "category", "area" or "item"
    category: int
    parent_code: str | None
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    children: tuple[Topic, ...] = field(default=(), compare=False)

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_leaf(self) -> bool:
        """Selectable as the course's topic item: an item, or a sub-area without items."""
        return self.kind != NodeKind.CATEGORY and not self.children


def _check_stage(stage: str) -> str:
    if stage not in TeacherStage.values:
        raise UnknownStage(f"unknown teacher stage {stage!r}")
    return stage


def _topics(stage: str) -> dict[str, Topic]:
    """{code: Topic} for one stage, children attached, retired nodes included."""
    _check_stage(stage)

    def build():
        rows = list(TopicNode.objects.filter(stage=stage).order_by("sort_key"))
        by_parent: dict[str | None, list[TopicNode]] = {}
        parent_codes = {row.pk: row.code for row in rows}
        for row in rows:
            by_parent.setdefault(parent_codes.get(row.parent_id), []).append(row)

        def make(row: TopicNode) -> Topic:
            return Topic(
                stage=row.stage,
                code=row.code,
                name=row.name,
                kind=row.kind,
                category=row.category,
                parent_code=parent_codes.get(row.parent_id),
                valid_from=row.valid_from,
                valid_to=row.valid_to,
                children=tuple(make(child) for child in by_parent.get(row.code, [])),
            )

        result: dict[str, Topic] = {}

        def index(topic: Topic):
            result[topic.code] = topic
            for child in topic.children:
                index(child)

        for root in by_parent.get(None, []):
            index(make(root))
        return result

    return caching.cached(f"topics:{stage}", build)


def _prune(topic: Topic, on: datetime.date) -> Topic:
    return replace(topic, children=tuple(_prune(c, on) for c in topic.children if _valid(c, on)))


def normalize_category(category: int | str) -> int:
    """Accept 1, "1" or the PD-category code "5-1"; return 1..6."""
    text = str(category).strip()
    if text.startswith("5-"):
        text = text[2:]
    try:
        number = int(text)
    except ValueError:
        raise LookupError(f"unknown category {category!r}") from None
    if not 1 <= number <= 6:
        raise LookupError(f"unknown category {category!r}")
    return number


def taxonomy_tree(stage: str, on: datetime.date | None = None) -> list[Topic]:
    """The six categories of `stage` with their sub-areas and items valid on `on`."""
    on = on or _today()
    topics = _topics(stage)
    roots = [t for t in topics.values() if t.kind == NodeKind.CATEGORY and _valid(t, on)]
    return [_prune(t, on) for t in roots]


def topic_items(stage: str, category: int | str, on: datetime.date | None = None) -> list[Topic]:
    """The selectable leaves of one category: items, and sub-areas that have no items
    (category 4 of elementary, junior and senior high). Category 6 has none: []."""
    on = on or _today()
    number = normalize_category(category)
    return [
        t for t in _topics(stage).values() if t.category == number and t.is_leaf and _valid(t, on)
    ]


def topic_item_choices(
    stage: str, category: int | str, on: datetime.date | None = None
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Leaves grouped by sub-area, for a <select> with <optgroup>s."""
    topics = _topics(stage)
    groups: dict[str, list[tuple[str, str]]] = {}
    for leaf in topic_items(stage, category, on):
        group = leaf if leaf.kind == NodeKind.AREA else topics[leaf.parent_code]
        groups.setdefault(group.label, []).append((leaf.code, leaf.label))
    return list(groups.items())


def get_topic(stage: str, code: str) -> Topic:
    """Resolve (stage, code), retired nodes included; LookupError if it never existed."""
    try:
        return _topics(stage)[code]
    except KeyError:
        raise LookupError(f"no topic {code!r} for stage {stage!r}") from None


def is_topic_item(
    stage: str, code: str, category: int | str | None = None, on: datetime.date | None = None
) -> bool:
    """May (stage, code) be chosen as a course's topic item on `on` (under `category`)?"""
    on = on or _today()
    topic = _topics(_check_stage(stage)).get(code)
    if topic is None or not topic.is_leaf or not _valid(topic, on):
        return False
    return category is None or topic.category == normalize_category(category)


# --- Attribute tags (屬性標籤) -------------------------------------------------------------


@dataclass(frozen=True)
class Definition:
    valid_from: datetime.date | None
    text: str


@dataclass(frozen=True)
class Tag:
    code: str
    name: str
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    history: str
    definitions: tuple[Definition, ...]  # oldest first; valid_from None sorts first

    def definition_on(self, on: datetime.date | None = None) -> str:
        """The wording in force on `on`; before the first recorded date, the earliest one."""
        on = on or _today()
        current = self.definitions[0].text if self.definitions else ""
        for d in self.definitions:
            if d.valid_from is None or d.valid_from <= on:
                current = d.text
        return current

    @property
    def definition(self) -> str:
        return self.definition_on()

    def is_valid_on(self, on: datetime.date) -> bool:
        return _valid(self, on)


def _tags() -> tuple[Tag, ...]:
    def build():
        definitions: dict[int, list[Definition]] = {}
        for d in TagDefinition.objects.order_by("tag_id", "valid_from"):
            definitions.setdefault(d.tag_id, []).append(Definition(d.valid_from, d.text))
        for items in definitions.values():
            items.sort(key=lambda d: (d.valid_from is not None, d.valid_from or datetime.date.min))
        return tuple(
            Tag(
                code=t.code,
                name=t.name,
                valid_from=t.valid_from,
                valid_to=t.valid_to,
                history=t.history,
                definitions=tuple(definitions.get(t.pk, [])),
            )
            for t in AttributeTag.objects.order_by("sort_key", "code")
        )

    return caching.cached("tags", build)


def active_tags(on: datetime.date | None = None) -> list[Tag]:
    """Tags that may be put on a course on `on` (default today)."""
    on = on or _today()
    return [t for t in _tags() if t.is_valid_on(on)]


def all_tags() -> list[Tag]:
    """Every tag, retired ones included."""
    return list(_tags())


def get_tag(code: str) -> Tag:
    """Resolve a tag by code, retired or not; LookupError if it never existed."""
    for tag in _tags():
        if tag.code == code:
            return tag
    raise LookupError(f"no attribute tag {code!r}")


def tag_choices(on: datetime.date | None = None) -> list[tuple[str, str]]:
    return [(t.code, t.name) for t in active_tags(on)]


# --- 課程性質: education stage – learning domain – subject ---------------------------------


@dataclass(frozen=True)
class SubjectEntry:
    code: str
    name: str
    domain_code: str
    domain_name: str
    stage_code: str
    stage_name: str
    valid_from: datetime.date | None
    valid_to: datetime.date | None

    @property
    def path(self) -> str:
        return f"{self.stage_name}－{self.domain_name}－{self.name}"


@dataclass(frozen=True)
class StageEntry:
    code: str
    name: str
    taxonomy_stage: str
    source: str
    valid_from: datetime.date | None
    valid_to: datetime.date | None


@dataclass(frozen=True)
class DomainEntry:
    code: str
    name: str
    stage_code: str
    source: str
    valid_from: datetime.date | None
    valid_to: datetime.date | None


@dataclass(frozen=True)
class _Curriculum:
    stages: tuple[StageEntry, ...]
    domains: tuple[DomainEntry, ...]
    subjects: tuple[SubjectEntry, ...]


def _curriculum() -> _Curriculum:
    def build():
        stages = tuple(
            StageEntry(s.code, s.name, s.taxonomy_stage, s.source, s.valid_from, s.valid_to)
            for s in CurriculumStage.objects.order_by("sort_key", "code")
        )
        domains = tuple(
            DomainEntry(d.code, d.name, d.stage.code, d.source, d.valid_from, d.valid_to)
            for d in LearningDomain.objects.select_related("stage").order_by(
                "stage__sort_key", "sort_key", "code"
            )
        )
        subjects = tuple(
            SubjectEntry(
                code=s.code,
                name=s.name,
                domain_code=s.domain.code,
                domain_name=s.domain.name,
                stage_code=s.domain.stage.code,
                stage_name=s.domain.stage.name,
                valid_from=s.valid_from,
                valid_to=s.valid_to,
            )
            for s in Subject.objects.select_related("domain__stage").order_by(
                "domain__stage__sort_key", "domain__sort_key", "sort_key", "code"
            )
        )
        return _Curriculum(stages, domains, subjects)

    return caching.cached("subjects", build)


def curriculum_stages(on: datetime.date | None = None) -> list[StageEntry]:
    on = on or _today()
    return [s for s in _curriculum().stages if _valid(s, on)]


def domains(stage: str, on: datetime.date | None = None) -> list[DomainEntry]:
    """Learning domains of one education stage (by stage code, e.g. "JH")."""
    on = on or _today()
    return [d for d in _curriculum().domains if d.stage_code == stage and _valid(d, on)]


def subjects(
    stage: str, domain: str | None = None, on: datetime.date | None = None
) -> list[SubjectEntry]:
    """Subjects of an education stage (optionally of one domain code) valid on `on`."""
    on = on or _today()
    valid_domains = {d.code for d in domains(stage, on)}
    return [
        s
        for s in _curriculum().subjects
        if s.stage_code == stage
        and s.domain_code in valid_domains
        and (domain is None or s.domain_code == domain)
        and _valid(s, on)
    ]


def subject_choices(
    stage: str, on: datetime.date | None = None
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Subjects grouped by domain, for a <select> with <optgroup>s."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for s in subjects(stage, on=on):
        groups.setdefault(s.domain_name, []).append((s.code, s.name))
    return list(groups.items())


def get_subject(code: str) -> SubjectEntry:
    """Resolve a subject code (retired included) with its domain and stage."""
    for s in _curriculum().subjects:
        if s.code == code:
            return s
    raise LookupError(f"no subject {code!r}")


def is_subject(code: str, on: datetime.date | None = None) -> bool:
    on = on or _today()
    try:
        s = get_subject(code)
    except LookupError:
        return False
    return any(x.code == code for x in subjects(s.stage_code, on=on))
