from django.urls import path

from . import views_auth as views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("home/", views.account_home, name="home"),
    path("password/reset/", views.password_reset, name="password_reset"),
]
