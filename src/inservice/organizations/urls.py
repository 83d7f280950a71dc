from django.urls import path

from . import views

app_name = "organizations"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("search/", views.search, name="search"),
    path("mine/contact/", views.edit_contact, name="edit_contact"),
    path("<str:code>/", views.unit_detail, name="unit_detail"),
]
