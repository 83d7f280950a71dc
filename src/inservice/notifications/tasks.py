import base64
from email.mime.image import MIMEImage

from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .models import OutboundEmail


@db_task(retries=5, retry_delay=60)
def deliver_email(email_id: int):
    email = OutboundEmail.objects.filter(pk=email_id, status=OutboundEmail.Status.QUEUED).first()
    if email is None:
        return
    if email.deferred:
        from .services import render_deferred

        if not render_deferred(email):
            return
    email.attempts += 1
    message = EmailMultiAlternatives(
        email.subject, email.body_text, to=[email.to], headers=email.headers or None
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for image in email.inline_images or []:
        # multipart/related keeps the images beside the HTML that shows them by Content-ID.
        message.mixed_subtype = "related"
        part = MIMEImage(base64.b64decode(image["data"]), _subtype=image["mimetype"].split("/")[1])
        part.add_header("Content-ID", f"<{image['cid']}>")
        part.add_header("Content-Disposition", "inline", filename=f"{image['cid']}.png")
        message.attach(part)
    try:
        message.send()
    except Exception as exc:  # SMTP errors of every kind: keep the reason, let Huey retry
        email.last_error = str(exc)[:2000]
        email.status = (
            OutboundEmail.Status.FAILED if email.attempts >= 6 else OutboundEmail.Status.QUEUED
        )
        email.save(update_fields=["attempts", "last_error", "status"])
        raise
    email.status = OutboundEmail.Status.SENT
    email.sent_at = timezone.now()
    email.save(update_fields=["attempts", "status", "sent_at"])


@db_periodic_task(crontab(minute="*/10"))
def resend_stuck_mail():
    """Picks up mail queued while the worker was down (on-commit enqueue lost)."""
    cutoff = timezone.now() - timezone.timedelta(minutes=10)
    for pk in OutboundEmail.objects.filter(
        status=OutboundEmail.Status.QUEUED, created_at__lt=cutoff, attempts=0
    ).values_list("pk", flat=True)[:500]:
        deliver_email(pk)
