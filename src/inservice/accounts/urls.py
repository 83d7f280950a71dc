from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("signup/", views.signup, name="signup"),
    path("home/", views.account_home, name="home"),
    path("password/reset/", views.password_reset, name="password_reset"),
]
