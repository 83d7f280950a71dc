"""Mail goes out through the outbox and the job queue, rendered in the recipient's language."""

from __future__ import annotations

import base64

from django.conf import settings
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

from .models import OutboundEmail


def queue_mail(
    *,
    to: str,
    template: str,
    context: dict | None = None,
    language: str | None = None,
    headers: dict | None = None,
    inline_images: list[dict] | None = None,
):
    """Render `notifications/mail/<template>.{subject,txt,html}` and queue it.

    Delivery happens after the surrounding transaction commits, so a rolled-back change
    never sends mail.
    """
    language = language or settings.LANGUAGE_CODE
    ctx = {"SITE_URL": settings.SITE_URL, **(context or {})}
    with translation.override(language):
        subject = render_to_string(f"notifications/mail/{template}.subject", ctx)
        subject = " ".join(subject.split())
        body_text = render_to_string(f"notifications/mail/{template}.txt", ctx)
        try:
            body_html = render_to_string(f"notifications/mail/{template}.html", ctx)
        except TemplateDoesNotExist:
            body_html = ""
    email = OutboundEmail.objects.create(
        to=to,
        subject=subject[:250],
        body_text=body_text,
        body_html=body_html,
        template=template,
        language=language,
        headers=headers or {},
        inline_images=inline_images or [],
    )
    from .tasks import deliver_email

    transaction.on_commit(lambda: deliver_email(email.pk))
    return email


def mail_user(
    user,
    template: str,
    context: dict | None = None,
    headers: dict | None = None,
    inline_images: list[dict] | None = None,
):
    return queue_mail(
        to=user.email,
        template=template,
        context={"user": user, **(context or {})},
        language=getattr(user, "language", None),
        headers=headers,
        inline_images=inline_images,
    )


def inline_png(cid: str, content: bytes) -> dict:
    """An image for `inline_images`, shown in the HTML body as `<img src="cid:{cid}">`."""
    return {"cid": cid, "mimetype": "image/png", "data": base64.b64encode(content).decode()}
