from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboundEmail(models.Model):
    """The outbox: every message is a row first, then delivered by a background job."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("待寄送")
        SENT = "sent", _("已寄出")
        FAILED = "failed", _("寄送失敗")

    created_at = models.DateTimeField(_("建立時間"), auto_now_add=True, db_index=True)
    to = models.EmailField(_("收件者"))
    subject = models.CharField(_("主旨"), max_length=250)
    body_text = models.TextField(_("內文"))
    body_html = models.TextField(_("HTML 內文"), blank=True)
    template = models.CharField(_("範本"), max_length=100)
    headers = models.JSONField(_("額外標頭"), default=dict, blank=True)
    # Images the HTML body shows by Content-ID (e.g. a calendar QR code):
    # [{"cid": "...", "mimetype": "image/png", "data": "<base64>"}]
    inline_images = models.JSONField(_("內嵌圖片"), default=list, blank=True)
    language = models.CharField(_("語言"), max_length=10)
    # A mail the worker composes (see services.queue_deferred_mail): {"renderer": name,
    # "args": {...}}; emptied once the subject and bodies are rendered.
    deferred = models.JSONField(_("待組成"), null=True, blank=True, default=None)
    status = models.CharField(
        _("狀態"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("嘗試次數"), default=0)
    last_error = models.TextField(_("最後錯誤"), blank=True)
    sent_at = models.DateTimeField(_("寄出時間"), null=True, blank=True)

    class Meta:
        verbose_name = _("寄送信件")
        verbose_name_plural = _("寄送信件")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.to}: {self.subject}"
