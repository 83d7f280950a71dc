"""Records URLs: cap exceptions (regional and national centers)."""

from django.urls import path

from . import views_caps

urlpatterns = [
    path("review/hours-withheld/", views_caps.withheld_list, name="hours_withheld"),
    path(
        "review/hours-withheld/<int:day_id>/grant/",
        views_caps.grant,
        name="hours_exception_grant",
    ),
]
