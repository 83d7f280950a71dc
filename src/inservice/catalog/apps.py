from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "inservice.catalog"
    label = "catalog"
    verbose_name = _("代碼與分類")

    def ready(self):
        from .caching import connect_signals

        connect_signals()
