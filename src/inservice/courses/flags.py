"""Automatic flags for the reviewer: things in a course worth a second look before approval.

`flags_for(course, version)` is the one question; the review queue asks it for a whole page
at once through `flags_for_many`, which fetches the possible duplicates in one query.

Flags never block anything: they point the reviewer at 附件九 第8、9、12條.
- 第9條: activities that count only with the authority's explicit approval, found by keywords
  in the name and the outline (each flag says which rule and which words matched);
- 第12條第2款: registered less than a week before the course starts;
- 第8條第2款: no basis document number (依據文號);
- 第12條第1款: a likely duplicate of another course of the same unit (overlapping dates and a
  similar name), including courses that counties or partners transmitted.
"""

from __future__ import annotations

import datetime
import difflib
import re
import unicodedata
from dataclasses import dataclass

from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Course, CourseStatus, Source


class Severity:
    """How strongly a flag asks for attention (shown as text, never by colour alone)."""

    ATTENTION = "attention"  # the reviewer must decide on it explicitly
    NOTICE = "notice"  # worth knowing

    LABELS = {ATTENTION: gettext_lazy("需審酌"), NOTICE: gettext_lazy("提醒")}


@dataclass(frozen=True)
class Flag:
    code: str
    message: str
    severity: str

    @property
    def severity_label(self) -> str:
        return str(Severity.LABELS.get(self.severity, self.severity))


@dataclass(frozen=True)
class KeywordRule:
    code: str
    clause: str  # where in 附件九 第9條
    label: str
    words: tuple[str, ...]


# 附件九 第9條: activities that count only with the education authority's approval. The words
# are the regulation's own examples plus common variants; matching is on the normalised text.
ARTICLE_9_RULES: tuple[KeywordRule, ...] = (
    KeywordRule(
        "art9_routine",
        gettext_lazy("第9條第1款"),
        gettext_lazy("學校例行性業務"),
        (
            "學年會議",
            "校務會議",
            "教科書選購",
            "教科書評選",
            "選書會議",
            "願景計畫編寫",
            "校慶籌備",
            "期初會議",
            "期末會議",
        ),
    ),
    KeywordRule(
        "art9_meeting",
        gettext_lazy("第9條第2款"),
        gettext_lazy("學校行政會議"),
        ("行政會議", "說明會議", "討論會議", "小組會議", "導師會議", "擴大行政會報"),
    ),
    KeywordRule(
        "art9_student",
        gettext_lazy("第9條第3款"),
        gettext_lazy("參加對象為學生之活動"),
        (
            "週會",
            "童軍露營",
            "戶外教學",
            "校外教學",
            "師生座談",
            "社團成果展",
            "畢業旅行",
            "運動會",
            "園遊會",
            "朝會",
        ),
    ),
    KeywordRule(
        "art9_leisure",
        gettext_lazy("第9條第4款"),
        gettext_lazy("個人休閒性質與教學無關"),
        (
            "國際標準舞",
            "國標舞",
            "元極舞",
            "土風舞",
            "法輪功",
            "理財",
            "瑜珈",
            "瑜伽",
            "減肥",
            "瘦身",
            "雞尾酒",
            "調酒",
            "插花",
            "養生",
            "美容",
            "彩妝",
        ),
    ),
    KeywordRule(
        "art9_religion",
        gettext_lazy("第9條第5款"),
        gettext_lazy("個人宗教信仰與教學無關"),
        (
            "佛經",
            "抄經",
            "誦經",
            "禪修",
            "法會",
            "風水",
            "命理",
            "紫微斗數",
            "占卜",
            "塔羅",
            "八字",
        ),
    ),
    KeywordRule(
        "art9_non_educational",
        gettext_lazy("第9條第7款"),
        gettext_lazy("非教育業務之講習"),
        ("選務", "選舉工作", "投開票", "公職人員選舉", "兵役", "人口普查"),
    ),
)

# 第9條第6款 (pure visits) needs more than a word: a visit word, and no teaching method.
VISIT_WORDS = ("參觀", "參訪", "觀摩之旅", "考察")
VISIT_CODE = "art9_visit"
VISIT_ONLY_DELIVERY = {"11-4", "11-99"}  # 參訪實察, 其他: no lecture, seminar, workshop …

LATE_REGISTRATION_DAYS = 7  # 附件九 第12條第2款: register at least one week before
DUPLICATE_RATIO = 0.8
MIN_CONTAINED_LENGTH = 4  # shorter names are too generic for "one contains the other"

_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, no spaces or punctuation (for matching)."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return _PUNCTUATION.sub("", text)


def _matches(words, fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(where, word) for each word found in each (where, normalised text)."""
    found = []
    for where, text in fields:
        for word in words:
            if normalise(word) in text:
                found.append((where, word))
    return found


def _describe_matches(found: list[tuple[str, str]]) -> str:
    by_place: dict[str, list[str]] = {}
    for where, word in found:
        words = by_place.setdefault(where, [])
        if word not in words:
            words.append(word)
    return "；".join(
        _("%(where)s含「%(words)s」") % {"where": where, "words": "」「".join(words)}
        for where, words in by_place.items()
    )


def keyword_flags(version) -> list[Flag]:
    """第9條: every rule whose words appear in the name or the outline."""
    fields = [(_("研習名稱"), normalise(version.name)), (_("課程大綱"), normalise(version.outline))]
    flags = []
    for rule in ARTICLE_9_RULES:
        found = _matches(rule.words, fields)
        if found:
            flags.append(
                Flag(
                    rule.code,
                    _(
                        "附件九%(clause)s（%(label)s）：%(matches)s，"
                        "需經教育行政主管機關同意始得採計研習時數。"
                    )
                    % {
                        "clause": rule.clause,
                        "label": rule.label,
                        "matches": _describe_matches(found),
                    },
                    Severity.ATTENTION,
                )
            )
    found = _matches(VISIT_WORDS, fields)
    delivery = set(version.delivery or [])
    if found and delivery <= VISIT_ONLY_DELIVERY:
        flags.append(
            Flag(
                VISIT_CODE,
                _(
                    "附件九第9條第6款（純粹參觀性質）：%(matches)s，"
                    "且實施方式沒有講授、座談、工作坊、觀課議課或數位課程，可能沒有實際授課。"
                )
                % {"matches": _describe_matches(found)},
                Severity.ATTENTION,
            )
        )
    return flags


def _first_submitted_at(course, version):
    """When the course was first sent for review (the registration date of 第12條)."""
    if hasattr(course, "first_submitted_at"):  # annotated by lists
        first = course.first_submitted_at
    elif course.pk is not None:
        first = course.versions.aggregate(m=Min("submitted_at"))["m"]
    else:
        first = None
    return first or version.submitted_at or timezone.now()


def late_registration_flag(course, version) -> Flag | None:
    if version.start_date is None:
        return None
    registered = timezone.localdate(_first_submitted_at(course, version))
    days = (version.start_date - registered).days
    if days >= LATE_REGISTRATION_DAYS:
        return None
    if days < 0:
        message = _(
            "於開課日 %(start)s 之後才登錄送審（%(registered)s）；"
            "附件九第12條第2款規定應於研習辦理前一週登錄。"
        )
    else:
        message = _(
            "於開課前 %(days)s 天才登錄送審（%(registered)s 送審，%(start)s 開課）；"
            "附件九第12條第2款規定應於研習辦理前一週登錄。"
        )
    return Flag(
        "late_registration",
        message % {"days": days, "registered": registered.isoformat(), "start": version.start_date},
        Severity.NOTICE,
    )


def basis_doc_flag(version) -> Flag | None:
    if (version.basis_doc_number or "").strip():
        return None
    return Flag(
        "missing_basis_doc",
        _(
            "未填依據文號：附件九第8條第2款要求依據文號為教育部或教育行政主管機關"
            "核定研習時數之公文文號（未填者也不會自動審核通過）。"
        ),
        Severity.ATTENTION,
    )


def similar_names(a: str, b: str) -> bool:
    """Normalised names with a difflib ratio of at least 0.8, or one containing the other."""
    a, b = normalise(a), normalise(b)
    if not a or not b:
        return False
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) >= MIN_CONTAINED_LENGTH and shorter in longer:
        return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= DUPLICATE_RATIO


def _overlaps(start, end, other_start, other_end) -> bool:
    if None in (start, other_start):
        return False
    end = end or start
    other_end = other_end or other_start
    return start <= other_end and other_start <= end


def _candidates_query(unit_ids, start: datetime.date, end: datetime.date):
    """Courses of these units that are (or were) registered and overlap [start, end]."""
    return (
        Course.objects.filter(unit_id__in=unit_ids, start_date__lte=end, end_date__gte=start)
        .exclude(status__in=[CourseStatus.DRAFT, CourseStatus.CANCELLED])
        .only("pk", "code", "unit_id", "name", "start_date", "end_date", "source", "status")
    )


def duplicate_flags(course, version, candidates) -> list[Flag]:
    flags = []
    for other in candidates:
        if other.pk == course.pk or other.unit_id != course.unit_id:
            continue
        if not _overlaps(version.start_date, version.end_date, other.start_date, other.end_date):
            continue
        if not similar_names(version.name, other.name):
            continue
        if other.source != Source.ONLINE:
            message = _(
                "可能重複登錄：本單位由%(source)s的課程 %(code)s「%(name)s」"
                "（%(start)s–%(end)s）日期重疊、名稱相近；"
                "附件九第12條第1款規定已登錄於其他系統者不得重覆登錄。"
            )
        else:
            message = _(
                "可能重複登錄：本單位的課程 %(code)s「%(name)s」"
                "（%(start)s–%(end)s）日期重疊、名稱相近。"
            )
        flags.append(
            Flag(
                "duplicate",
                message
                % {
                    "source": other.get_source_display(),
                    "code": other.code,
                    "name": other.name,
                    "start": other.start_date,
                    "end": other.end_date or other.start_date,
                },
                Severity.ATTENTION,
            )
        )
    return flags


def _flags(course, version, candidates) -> list[Flag]:
    flags = keyword_flags(version)
    for flag in (late_registration_flag(course, version), basis_doc_flag(version)):
        if flag is not None:
            flags.append(flag)
    flags.extend(duplicate_flags(course, version, candidates))
    return flags


def flags_for(course, version) -> list[Flag]:
    """Every flag for `version` of `course` (the version under review, or the one shown)."""
    candidates = []
    if version.start_date is not None:
        candidates = list(
            _candidates_query(
                [course.unit_id], version.start_date, version.end_date or version.start_date
            )
        )
    return _flags(course, version, candidates)


def flags_for_many(pairs) -> dict[int, list[Flag]]:
    """Flags for many (course, version) pairs, keyed by course pk, with one query in all.

    For lists: `course.first_submitted_at` may be annotated to avoid a query per course.
    """
    pairs = [(c, v) for c, v in pairs if v is not None]
    dated = [v for _c, v in pairs if v.start_date is not None]
    candidates = []
    if dated:
        start = min(v.start_date for v in dated)
        end = max(v.end_date or v.start_date for v in dated)
        candidates = list(_candidates_query({c.unit_id for c, _v in pairs}, start, end))
    return {c.pk: _flags(c, v, candidates) for c, v in pairs}
