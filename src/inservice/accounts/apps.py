from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "inservice.accounts"
    label = "accounts"
    verbose_name = _("帳號")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .services.staff import _on_login

        # A login clears a pending idle-account warning (the idle rule, 附件九 第4條).
        user_logged_in.connect(_on_login, dispatch_uid="inservice.staff.clear_idle_warning")
