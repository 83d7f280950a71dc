from django.core.management import call_command

from inservice.accounts.models import StaffProfile, StaffRole, StaffStatus, Teacher, User
from inservice.accounts.permissions import Function, can
from inservice.core.management.commands.demo_data import DEMO_PASSWORD
from inservice.courses.models import ChangeRequest, Course, CourseStatus, CourseVersion
from inservice.organizations.models import Unit, UnitKind


def _counts():
    return (
        Unit.objects.count(),
        Teacher.objects.count(),
        User.objects.count(),
        StaffProfile.objects.count(),
        Course.objects.count(),
        CourseVersion.objects.count(),
        ChangeRequest.objects.count(),
    )


def test_demo_data_is_idempotent_and_covers_every_kind(db):
    call_command("demo_data", teachers=120)
    first = _counts()
    call_command("demo_data", teachers=120)
    assert _counts() == first
    kinds = set(Unit.objects.values_list("kind", flat=True))
    assert kinds == set(UnitKind.values)
    roles = set(
        StaffProfile.objects.filter(status=StaffStatus.ACTIVE).values_list("role", flat=True)
    )
    assert roles == set(StaffRole.values)
    assert StaffProfile.objects.filter(status=StaffStatus.PENDING).exists()
    assert Teacher.objects.filter(user__isnull=True).exists()
    assert Teacher.objects.filter(serving_unit__isnull=True).exists()
    # every unit has exactly one active chief at most
    for unit in Unit.objects.all():
        chiefs = unit.staff_accounts.filter(role=StaffRole.CHIEF, status=StaffStatus.ACTIVE)
        assert chiefs.count() <= 1, unit


def test_demo_logins_work_with_the_documented_password(client, db):
    call_command("demo_data", teachers=30)
    for username in (
        "demo_teacher",
        "demo_school_chief",
        "demo_county_reviewer",
        "demo_national_admin",
    ):
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD), username
        response = client.post(
            "/accounts/login/", {"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, username
        client.post("/accounts/logout/")
    chief = User.objects.get(username="demo_school_chief")
    assert can(chief, Function.TEACHER_DATA_ENTRY)
    reviewer = User.objects.get(username="demo_county_reviewer")
    assert can(reviewer, Function.COURSE_REVIEW)
    assert User.objects.get(username="demo_national_admin").is_superuser
    teacher = User.objects.get(username="demo_teacher").teacher
    assert teacher.serving_unit.county.name == "臺北市"


def test_demo_courses_fill_the_queues_and_the_school_list(client, db):
    import datetime

    from django.utils import timezone

    from inservice.courses import lights
    from inservice.courses.models import VersionState

    call_command("demo_data", teachers=30)
    assert set(Course.objects.values_list("status", flat=True)) == set(CourseStatus.values)
    counties = set(Course.objects.values_list("unit__county__code", flat=True))
    assert len(counties) >= 3
    centers = set(Course.objects.values_list("reviewing_center__kind", flat=True))
    assert {UnitKind.COUNTY_BUREAU, UnitKind.NATIONAL_CENTER, UnitKind.K12_ADMIN_GROUP} <= centers

    # the demo school's list shows every light, and a published course with a pending change
    chief = User.objects.get(username="demo_school_chief")
    school = chief.staff.unit
    courses = list(Course.objects.filter(unit=school).select_related("published"))
    assert {lights.light_for(c).code for c in courses} == set(lights.LIGHTS)
    assert any(c.has_pending_change for c in courses)
    client.force_login(chief)
    response = client.get("/manage/courses/")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == len(courses)

    # the demo reviewer's queue: first reviews and changes, some waiting > 3 working days,
    # some starting within a week; a change request waiting for the center
    reviewer = User.objects.get(username="demo_county_reviewer")
    pending = Course.objects.filter(
        reviewing_center=reviewer.staff.unit, working__state=VersionState.PENDING
    ).select_related("working")
    assert pending.count() >= 6
    assert pending.filter(status=CourseStatus.PUBLISHED).exists()  # a change of a published one
    week_ago = timezone.now() - datetime.timedelta(days=5)
    assert pending.filter(working__submitted_at__lt=week_ago).exists()
    soon = timezone.localdate() + datetime.timedelta(days=7)
    assert pending.filter(start_date__lte=soon).exists()
    assert pending.exclude(unit=school).exists()
    client.force_login(reviewer)
    queue = client.get("/review/change-requests/").context["page"]
    assert queue.paginator.count == 1

    # an approved change request waits for the national center
    client.force_login(User.objects.get(username="demo_national_admin"))
    waiting = client.get("/national/change-requests/").context["page"]
    assert waiting.paginator.count == 1
    assert waiting.object_list[0].state == ChangeRequest.State.APPROVED


def test_demo_teacher_has_registrations_a_waitlist_place_favourites_and_a_feed(db):
    from inservice.enrollment.models import CalendarFeed, Favourite, Registration

    call_command("demo_data", teachers=80)
    teacher = User.objects.get(username="demo_teacher").teacher
    statuses = set(Registration.objects.filter(teacher=teacher).values_list("status", flat=True))
    assert {"admitted", "waitlisted"} <= statuses
    assert Favourite.objects.filter(teacher=teacher).count() == 2
    assert CalendarFeed.objects.filter(teacher=teacher).exists()
    before = Registration.objects.count()
    call_command("demo_data", teachers=80)
    assert Registration.objects.count() == before


def test_demo_attendance_lists_and_the_demo_teachers_years_of_records(db):
    """Issue 5: the demo school has courses waiting for attendance (yellow), one overdue (red),
    a submitted and a returned list, and closed ones with records; the demo teacher has
    several school years of records, some from partners, and one day over the daily cap."""
    from inservice.attendance.models import AttendanceList, ListState
    from inservice.courses import lights
    from inservice.records.models import TrainingRecord

    call_command("demo_data", teachers=40)
    school = User.objects.get(username="demo_school_chief").staff.unit
    courses = Course.objects.filter(unit=school).select_related("published", "attendance_list")
    by_light = {}
    for course in courses:
        by_light.setdefault(lights.light_for(course).code, []).append(course)
    assert len(by_light[lights.HOURS_DUE]) >= 2
    assert len(by_light[lights.HOURS_OVERDUE]) >= 1
    assert len(by_light[lights.LIST_SUBMITTED]) == 1
    assert len(by_light[lights.LIST_RETURNED]) == 1
    closed = by_light[lights.CLOSED]
    assert len(closed) >= 3
    # closed through the services: a confirmed list and records for every closed course
    for course in closed:
        assert course.attendance_list.state == ListState.CONFIRMED
        assert TrainingRecord.objects.filter(course=course).exists()
    returned = AttendanceList.objects.get(course=by_light[lights.LIST_RETURNED][0])
    assert returned.return_reason

    teacher = User.objects.get(username="demo_teacher").teacher
    records = TrainingRecord.objects.filter(teacher=teacher)
    assert 15 <= records.count() <= 30
    school_years = {r.start_date.year - (r.start_date.month < 8) for r in records}
    assert len(school_years) >= 4
    assert len(set(records.values_list("category", flat=True))) >= 4
    assert records.exclude(tags=[]).count() >= 4
    assert records.filter(course__isnull=True).count() >= 2  # from partners
    withheld = records.filter(hours_withheld__gt=0)
    assert withheld.count() == 1 and withheld.get().hours == withheld.get().hours_requested - 1

    before = (TrainingRecord.objects.count(), AttendanceList.objects.count())
    call_command("demo_data", teachers=40)
    assert (TrainingRecord.objects.count(), AttendanceList.objects.count()) == before
