"""Placeholder views; the sign-in work replaces them."""

from django.contrib.auth import views as auth_views
from django.http import HttpResponse

from inservice.core.access import authenticated, public

login_view = public(auth_views.LoginView.as_view(template_name="accounts/login.html"))
logout_view = public(auth_views.LogoutView.as_view())


@authenticated
def account_home(request):
    return HttpResponse("home")


@public
def password_reset(request):
    return HttpResponse("reset")
