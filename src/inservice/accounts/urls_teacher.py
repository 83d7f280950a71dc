from django.urls import path

from . import views_teacher as views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/teacher/", views.signup_teacher, name="signup_teacher"),
    path("privacy-notice/", views.privacy_notice, name="teacher_privacy_notice"),
    path("verify-email/<str:token>/", views.verify_email, name="teacher_verify_email"),
    path("teacher/", views.teacher_home, name="teacher_home"),
    path("teacher/verify-email/resend/", views.resend_verification, name="teacher_resend"),
    path("teacher/records/", views.records, name="teacher_records"),
    path("teacher/profile/", views.profile, name="teacher_profile"),
    path("teacher/export/", views.export, name="teacher_export"),
    path("unit/teachers/", views.unit_teacher_list, name="unit_teachers"),
    path("unit/teachers/new/", views.unit_teacher_new, name="unit_teacher_new"),
    path("unit/teachers/<int:pk>/", views.unit_teacher_detail, name="unit_teacher_detail"),
    path("unit/teachers/<int:pk>/edit/", views.unit_teacher_edit, name="unit_teacher_edit"),
    path("unit/teachers/<int:pk>/leave/", views.unit_teacher_leave, name="unit_teacher_leave"),
]
