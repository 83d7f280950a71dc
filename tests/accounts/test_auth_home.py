"""accounts:home sends each kind of account to its own home page.

The teacher and staff home pages belong to other areas; when one of their URL names is not
there yet, this module's own URL configuration adds a stand-in so the redirect is still tested.
"""

import pytest
from django.http import HttpResponse
from django.urls import include, path, reverse

from inservice import urls as root_urls
from inservice.accounts import urls as account_urls
from inservice.accounts.models import User
from inservice.core.access import public
from tests.factories import StaffFactory, UserFactory


@public
def _stand_in(request):
    return HttpResponse("stand-in")


_existing = {p.name for p in account_urls.urlpatterns}
_stand_ins = [
    path(f"stand-in/{name}/", _stand_in, name=name)
    for name in ("teacher_home", "staff_home")
    if name not in _existing
]
urlpatterns = [
    path("accounts/", include((account_urls.urlpatterns + _stand_ins, "accounts"))),
    *(p for p in root_urls.urlpatterns if getattr(p, "namespace", None) != "accounts"),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_teacher_goes_to_teacher_home(client):
    client.force_login(UserFactory(kind=User.Kind.TEACHER))
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302 and response.url == reverse("accounts:teacher_home")


def test_staff_goes_to_staff_home(client):
    client.force_login(StaffFactory().user)
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302 and response.url == reverse("accounts:staff_home")


def test_superuser_goes_to_admin(client):
    client.force_login(User.objects.create_superuser("rootadmin", "root@mail.example", "x" * 12))
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302 and response.url == "/admin/"


def test_other_accounts_get_the_account_page(client):
    client.force_login(UserFactory(kind=User.Kind.ADMIN, is_staff=False))
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("accounts:profile") in html and reverse("accounts:password_change") in html
