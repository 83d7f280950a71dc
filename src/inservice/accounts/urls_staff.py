from django.urls import path

from . import views_staff as views

urlpatterns = [
    path("staff/", views.home, name="staff_home"),
    path("staff/apply/", views.apply, name="staff_apply"),
    path("staff/apply/done/", views.apply_done, name="staff_apply_done"),
    path("staff/applications/", views.applications, name="staff_applications"),
    path("staff/applications/<int:pk>/decide/", views.decide, name="staff_decide"),
    path("staff/unit/", views.unit_staff, name="staff_unit"),
    path("staff/subordinates/", views.subordinates, name="staff_subordinates"),
    path("staff/units/<str:code>/", views.unit_accounts, name="staff_unit_accounts"),
    path("staff/accounts/<int:pk>/role/", views.change_role, name="staff_change_role"),
    path("staff/accounts/<int:pk>/status/", views.set_status, name="staff_set_status"),
    path("staff/accounts/<int:pk>/chief/", views.make_chief, name="staff_make_chief"),
]
