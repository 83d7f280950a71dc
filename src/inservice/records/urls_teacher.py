"""Records URLs: a teacher's own records (我的研習紀錄) and their xlsx export."""

from django.urls import path

from . import views_mine

urlpatterns: list = [
    path("my/records/", views_mine.my_records, name="my_records"),
    path("my/records/export.xlsx", views_mine.my_records_export, name="my_records_export"),
]
