from django.urls import path

from . import views_teacher as views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
]
