from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "inservice.enrollment"
    label = "enrollment"
    verbose_name = _("線上報名")

    def ready(self):
        from inservice.courses.services.lifecycle import course_cancelled

        from .services.registration import on_course_cancelled

        # A cancelled course cancels every registration and tells each registrant (issue 3).
        course_cancelled.connect(on_course_cancelled, dispatch_uid="enrollment.course_cancelled")
