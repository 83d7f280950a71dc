from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttendanceConfig(AppConfig):
    name = "inservice.attendance"
    label = "attendance"
    verbose_name = _("研習出席與時數登錄")
