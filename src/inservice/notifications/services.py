"""Mail goes out through the outbox and the job queue, rendered in the recipient's language."""

from __future__ import annotations

import base64
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import translation

from inservice.core.prepared import PreparedInsert

from .models import OutboundEmail


def _templates(template: str):
    """The subject, text and (optional) HTML templates of a mail, loaded once per call site."""
    name = f"notifications/mail/{template}"
    try:
        html = get_template(f"{name}.html")
    except TemplateDoesNotExist:
        html = None
    return get_template(f"{name}.subject"), get_template(f"{name}.txt"), html


def _render(templates, *, to, template, context, language, headers=None, inline_images=None):
    """An unsaved outbox row: the mail rendered in `language`."""
    subject, text, html = templates
    ctx = {"SITE_URL": settings.SITE_URL, **(context or {})}
    with translation.override(language):
        return OutboundEmail(
            to=to,
            subject=" ".join(subject.render(ctx).split())[:250],
            body_text=text.render(ctx),
            body_html=html.render(ctx) if html is not None else "",
            template=template,
            language=language,
            headers=headers or {},
            inline_images=inline_images or [],
        )


def _render_one(*, template: str, language: str, **fields) -> OutboundEmail:
    """One mail rendered in `language` (its templates loaded in that language)."""
    with translation.override(language):
        templates = _templates(template)
    return _render(templates, template=template, language=language, **fields)


def _deliver_after_commit(ids: list[int]):
    from .tasks import deliver_email

    def deliver():
        for pk in ids:
            deliver_email(pk)

    transaction.on_commit(deliver)


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
    email = _render_one(
        to=to,
        template=template,
        context=context,
        language=language or settings.LANGUAGE_CODE,
        headers=headers,
        inline_images=inline_images,
    )
    email.save()
    _deliver_after_commit([email.pk])
    return email


def queue_user_mails(template: str, recipients: list[tuple]) -> list[OutboundEmail]:
    """The same mail to many users at once: `recipients` holds (user, context) pairs.

    Each user gets what `mail_user` would queue, but the templates are loaded once, the outbox
    rows are stored in one INSERT and handed to the job queue in one after-commit callback
    (closing a course mails hundreds of teachers inside its transaction).
    """
    templates: dict[str, tuple] = {}
    emails = []
    for user, context in recipients:
        language = getattr(user, "language", None) or settings.LANGUAGE_CODE
        if language not in templates:
            with translation.override(language):
                templates[language] = _templates(template)
        emails.append(
            _render(
                templates[language],
                to=user.email,
                template=template,
                context={"user": user, **(context or {})},
                language=language,
            )
        )
    if not emails:
        return []
    emails = OutboundEmail.objects.bulk_create(emails, batch_size=1000)
    _deliver_after_commit([email.pk for email in emails])
    return emails


# Renderers of deferred mail, by name: each takes the row's `deferred["args"]` and returns
# (context, inline_images), or None when the mail is no longer due.
_RENDERERS: dict[str, Callable] = {}


def deferred_renderer(name: str):
    """Register the function that composes a deferred mail (see `queue_deferred_mail`)."""

    def register(func):
        _RENDERERS[name] = func
        return func

    return register


# Written in every registration of a burst (core/prepared.py).
_NEW_DEFERRED_MAIL = PreparedInsert(OutboundEmail)


def queue_deferred_mail(
    *, to: str, template: str, renderer: str, args: dict, language: str | None = None
) -> OutboundEmail:
    """Queue a mail that the worker composes when it sends it.

    Only a small row is written, in the caller's transaction: it commits with the change (so
    nothing is lost, and `resend_stuck_mail` finds it like any queued mail) and disappears
    with a rollback. Templates, links and images cost nothing here, which matters on hot
    paths such as a registration burst. `args` must be JSON.
    """
    if renderer not in _RENDERERS:
        raise LookupError(f"no deferred mail renderer named {renderer!r}")
    email = _NEW_DEFERRED_MAIL.create(
        to=to,
        template=template,
        language=language or settings.LANGUAGE_CODE,
        deferred={"renderer": renderer, "args": args},
    )
    _deliver_after_commit([email.pk])
    return email


def render_deferred(email: OutboundEmail) -> bool:
    """Compose a deferred row in its language and store the result; False (and the row
    marked failed) when its renderer says the mail is no longer due."""
    made = _RENDERERS[email.deferred["renderer"]](**email.deferred["args"])
    if made is None:
        email.status = OutboundEmail.Status.FAILED
        email.last_error = "not due any more: its subject no longer exists"
        email.deferred = None
        email.save(update_fields=["status", "last_error", "deferred"])
        return False
    context, images = made
    rendered = _render_one(
        to=email.to,
        template=email.template,
        context=context,
        language=email.language,
        headers=email.headers,
        inline_images=images,
    )
    email.subject = rendered.subject
    email.body_text = rendered.body_text
    email.body_html = rendered.body_html
    email.inline_images = rendered.inline_images
    email.deferred = None
    email.save(update_fields=["subject", "body_text", "body_html", "inline_images", "deferred"])
    return True


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
