from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "inservice.search"
    label = "search"
    verbose_name = _("研習課程搜尋")

    def ready(self):
        from . import receivers  # noqa: F401  (connects the course life-cycle signals)
