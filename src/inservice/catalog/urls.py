from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("taxonomy/", views.taxonomy, name="taxonomy"),
    path("codes/", views.code_tables, name="codes"),
    path("subjects/", views.subject_table, name="subjects"),
]
