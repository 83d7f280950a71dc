from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One business event, written by a service in the same transaction as the change."""

    created_at = models.DateTimeField(_("時間"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("操作者名稱"), max_length=200, blank=True)
    action = models.CharField(_("事件"), max_length=100, db_index=True)
    object_type = models.CharField(_("對象類型"), max_length=100, blank=True)
    object_id = models.CharField(_("對象編號"), max_length=64, blank=True)
    object_repr = models.CharField(_("對象"), max_length=300, blank=True)
    before = models.JSONField(_("變更前"), null=True, blank=True)
    after = models.JSONField(_("變更後"), null=True, blank=True)
    data = models.JSONField(_("其他資料"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("來源位址"), null=True, blank=True)
    user_agent = models.CharField(_("瀏覽器"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("稽核紀錄")
        verbose_name_plural = _("稽核紀錄")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "-created_at"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"
