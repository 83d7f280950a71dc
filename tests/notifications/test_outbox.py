import smtplib

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from inservice.notifications.models import OutboundEmail
from inservice.notifications.services import queue_mail
from inservice.notifications.tasks import deliver_email


@pytest.mark.django_db(transaction=True)
def test_mail_is_recorded_then_delivered_after_commit():
    with transaction.atomic():
        email = queue_mail(to="a@example.org", template="test_message", context={"name": "王老師"})
        assert len(mail.outbox) == 0  # nothing leaves before commit
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "測試信件"
    assert "王老師" in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change_sends_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_mail(to="a@example.org", template="test_message", context={"name": "x"})
        raise RuntimeError("rollback")
    assert OutboundEmail.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_mail_rendered_in_recipient_language(settings):
    settings.LOCALE_PATHS = settings.LOCALE_PATHS  # compiled catalogue from locale/
    with transaction.atomic():
        email = queue_mail(
            to="b@example.org", template="test_message", context={"name": "Lin"}, language="en"
        )
    assert email.language == "en"
    assert email.subject == "Test message"


@pytest.mark.django_db
def test_smtp_failure_is_recorded_for_retry(settings):
    settings.EMAIL_BACKEND = "tests.notifications.failing_backend.FailingBackend"
    email = OutboundEmail.objects.create(
        to="c@example.org", subject="s", body_text="b", template="t", language="zh-hant"
    )
    with pytest.raises(smtplib.SMTPException):
        deliver_email.call_local(email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.QUEUED
    assert email.attempts == 1
    assert "server down" in email.last_error


@pytest.mark.django_db(transaction=True)
def test_sendtestmail_command(capsys):
    call_command("sendtestmail", "ops@example.org")
    assert OutboundEmail.objects.get().to == "ops@example.org"
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_extra_headers_reach_the_message():
    with transaction.atomic():
        queue_mail(
            to="d@example.org",
            template="test_message",
            context={"name": "x"},
            headers={"List-Unsubscribe": "<https://example.org/u/1>"},
        )
    assert mail.outbox[0].extra_headers["List-Unsubscribe"] == "<https://example.org/u/1>"
