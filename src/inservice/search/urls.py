"""Public course search (no namespace: the name `course_search` is used on every page)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.course_search, name="course_search"),
    path("county/<str:county>/", views.county_courses, name="course_search_county"),
    path("unit/<str:unit>/", views.unit_courses, name="course_search_unit"),
]
