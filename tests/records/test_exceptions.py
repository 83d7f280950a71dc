"""Cap exceptions: who may grant them, what a grant changes, the refusals, the audit row,
and the regional center's pages (/review/hours-withheld/)."""

import datetime
from decimal import Decimal

import pytest

from inservice.accounts.models import StaffRole
from inservice.core.audit import history_for
from inservice.core.errors import DomainError, PermissionDeniedError
from inservice.courses.models import Source
from inservice.organizations import reference_data
from inservice.organizations.models import Unit, UnitKind
from inservice.records.models import HoursException, TrainingDay, TrainingRecord
from inservice.records.selectors_caps import withheld_days
from inservice.records.services.exceptions import grant_exception
from inservice.records.services.recording import add_external_record, record_course
from tests.factories import (
    TeacherFactory,
    make_id_number,
    make_staff,
    make_teacher_user,
    routable_unit,
)
from tests.records.hours_helpers import attend, held_course

pytestmark = pytest.mark.django_db

D = Decimal
MON = datetime.date(2025, 3, 3)
LIST_URL = "/review/hours-withheld/"


def grant_url(day):
    return f"/review/hours-withheld/{day.pk}/grant/"


@pytest.fixture
def capped():
    """A teacher whose second course on Monday (school B) had 2 of its 4 hours withheld."""
    id_number = make_id_number()
    teacher = TeacherFactory(id_number=id_number, name="黃測試")
    first = held_course(routable_unit(UnitKind.ELEMENTARY), start=MON, hours=D("4"))
    second = held_course(routable_unit(UnitKind.JUNIOR_HIGH), start=MON, hours=D("4"))
    for course in (first, second):
        attend(course, {teacher: "4"})
        record_course(course=course)
    day = TrainingDay.objects.get(record__course=second)
    assert (day.hours_requested, day.hours_counted) == (D(4), D(2))
    other_bureau = Unit.objects.filter(kind=UnitKind.COUNTY_BUREAU).exclude(
        pk=second.reviewing_center_id
    )[0]
    return {
        "teacher": teacher,
        "id_number": id_number,
        "course": second,
        "day": day,
        "reviewer": make_staff(second.reviewing_center, role=StaffRole.OPERATOR).user,
        "other_center": make_staff(other_bureau, role=StaffRole.CHIEF).user,
        "national": make_staff(
            Unit.objects.get(code=reference_data.NATIONAL_CENTER), role=StaffRole.OPERATOR
        ).user,
        "school": make_staff(second.unit, role=StaffRole.CHIEF).user,
    }


# --- Service ------------------------------------------------------------------------------


def test_reviewing_center_grants_and_the_record_follows(capped):
    day, reviewer = capped["day"], capped["reviewer"]
    exception = grant_exception(actor=reviewer, day=day, reason="跨縣市合辦研習，專案核准")

    day.refresh_from_db()
    record = TrainingRecord.objects.get(pk=day.record_id)
    assert day.hours_counted == D(4)
    assert (record.hours, record.hours_withheld) == (D(4), D(0))
    assert exception.center == capped["course"].reviewing_center
    assert exception.granted_by == reviewer
    assert HoursException.objects.get(day=day).reason == "跨縣市合辦研習，專案核准"
    (event,) = history_for(record).filter(action="records.hours_exception_granted")
    assert event.actor == reviewer
    assert event.data["reason"] == "跨縣市合辦研習，專案核准"
    assert event.data["date"] == "2025-03-03"
    assert event.before["day_counted"] == "2.0" and event.after["day_counted"] == "4.0"


def test_national_center_may_grant_too(capped):
    grant_exception(actor=capped["national"], day=capped["day"], reason="全國推廣中心核准")
    capped["day"].refresh_from_db()
    assert capped["day"].hours_counted == D(4)


@pytest.mark.parametrize("who", ["other_center", "school"])
def test_others_are_refused_and_nothing_changes(capped, who):
    with pytest.raises(PermissionDeniedError, match="只有審核這門課程的區管中心"):
        grant_exception(actor=capped[who], day=capped["day"], reason="理由")
    capped["day"].refresh_from_db()
    assert capped["day"].hours_counted == D(2)
    assert not HoursException.objects.exists()


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_reason_is_required(capped, reason):
    with pytest.raises(DomainError, match="請填寫核准例外的理由") as refused:
        grant_exception(actor=capped["reviewer"], day=capped["day"], reason=reason)
    assert refused.value.field == "reason"
    assert not HoursException.objects.exists()


def test_a_day_already_excepted_is_refused(capped):
    grant_exception(actor=capped["reviewer"], day=capped["day"], reason="第一次")
    with pytest.raises(DomainError, match="2025-03-03 的時數已於 .* 核准例外，不需重複核准"):
        grant_exception(actor=capped["national"], day=capped["day"], reason="第二次")
    assert HoursException.objects.count() == 1


def test_a_day_with_nothing_withheld_is_refused(capped):
    full_day = TrainingDay.objects.exclude(pk=capped["day"].pk).get()
    assert full_day.hours_counted == full_day.hours_requested
    with pytest.raises(DomainError, match="2025-03-03 沒有超過上限而未核計的時數"):
        grant_exception(actor=capped["national"], day=full_day, reason="理由")
    assert not HoursException.objects.exists()


def test_after_an_exception_the_day_has_no_room_left(capped):
    grant_exception(actor=capped["reviewer"], day=capped["day"], reason="專案核准")
    third = held_course(start=MON, hours=D("2"))
    attend(third, {capped["teacher"]: "2"})
    (record,) = record_course(course=third)
    assert (record.hours, record.hours_withheld) == (D(0), D(2))


def test_partner_records_are_for_the_national_center(capped):
    partner = add_external_record(
        teacher=capped["teacher"],
        snapshot={
            "course_code": "P-9",
            "course_name": "夥伴課程",
            "organizer_name": "夥伴單位",
            "source": Source.PARTNER,
            "partner": "p",
        },
        days={MON: "3"},
    )
    day = partner.days.get()
    assert day.hours_counted == D(0)
    with pytest.raises(PermissionDeniedError):
        grant_exception(actor=capped["reviewer"], day=day, reason="理由")
    assert day not in withheld_days(capped["reviewer"])
    assert day in withheld_days(capped["national"])
    grant_exception(actor=capped["national"], day=day, reason="理由")
    partner.refresh_from_db()
    assert (partner.hours, partner.hours_withheld) == (D(3), D(0))


def test_withheld_days_within_reach(capped):
    day = capped["day"]
    assert list(withheld_days(capped["reviewer"])) == [day]
    assert list(withheld_days(capped["national"])) == [day]
    assert list(withheld_days(capped["other_center"])) == []
    assert list(withheld_days(capped["school"])) == []
    grant_exception(actor=capped["reviewer"], day=day, reason="專案核准")
    assert list(withheld_days(capped["reviewer"])) == []


# --- Pages --------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, capped):
    for response in (client.get(LIST_URL), client.post(grant_url(capped["day"]), {"reason": "x"})):
        assert response.status_code == 302
        assert "/login" in response["Location"]


@pytest.mark.parametrize("who", ["school", "teacher"])
def test_schools_and_teachers_are_refused(client, capped, who):
    user = capped["school"] if who == "school" else make_teacher_user()
    client.force_login(user)
    assert client.get(LIST_URL).status_code == 403
    assert client.get(grant_url(capped["day"])).status_code == 403
    assert client.post(grant_url(capped["day"]), {"reason": "x"}).status_code == 403
    capped["day"].refresh_from_db()
    assert capped["day"].hours_counted == D(2)


def test_list_shows_the_center_its_withheld_days_without_id_numbers(client, capped):
    client.force_login(capped["reviewer"])
    response = client.get(LIST_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "黃測試" in html
    assert str(capped["course"].code) in html
    assert capped["course"].published.name in html
    assert "2025-03-03" in html
    assert grant_url(capped["day"]) in html
    assert capped["id_number"] not in html


def test_other_center_sees_nothing_and_gets_404(client, capped):
    client.force_login(capped["other_center"])
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert "黃測試" not in response.content.decode()
    assert client.get(grant_url(capped["day"])).status_code == 404
    assert client.post(grant_url(capped["day"]), {"reason": "理由"}).status_code == 404
    capped["day"].refresh_from_db()
    assert capped["day"].hours_counted == D(2)


def test_center_grants_through_the_form(client, capped):
    client.force_login(capped["reviewer"])
    form = client.get(grant_url(capped["day"]))
    assert form.status_code == 200
    assert "黃測試" in form.content.decode()

    response = client.post(grant_url(capped["day"]), {"reason": "教育局專案核准"}, follow=True)

    assert response.redirect_chain[-1][0] == LIST_URL
    assert "已核准 黃測試 於 2025-03-03 的時數上限例外" in response.content.decode()
    capped["day"].refresh_from_db()
    assert capped["day"].hours_counted == D(4)
    record = capped["day"].record
    (event,) = history_for(record).filter(action="records.hours_exception_granted")
    assert event.actor == capped["reviewer"]


def test_form_refusals_are_shown(client, capped):
    client.force_login(capped["reviewer"])
    response = client.post(grant_url(capped["day"]), {"reason": ""})
    assert response.status_code == 400
    assert "請填寫核准例外的理由" in response.content.decode()

    client.post(grant_url(capped["day"]), {"reason": "核准"})
    again = client.post(grant_url(capped["day"]), {"reason": "再一次"})
    assert again.status_code == 400
    assert "不需重複核准" in again.content.decode()
