from django.urls import reverse

from tests.factories import TeacherFactory, UserFactory


def test_teacher_home_links_to_search_registrations_favourites_alerts_and_calendar(client, db):
    teacher = TeacherFactory(user=UserFactory())
    client.force_login(teacher.user)
    body = client.get(reverse("accounts:teacher_home")).content.decode()
    for name in ("enrollment:favourites", "enrollment:searches", "enrollment:my_calendar"):
        assert f'href="{reverse(name)}"' in body, name
    assert f'href="{reverse("course_search")}"' in body
