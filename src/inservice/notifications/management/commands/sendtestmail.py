from django.core.management.base import BaseCommand
from django.db import transaction

from inservice.notifications.services import queue_mail


class Command(BaseCommand):
    help = "Queues a test message to check the mail set-up (SMTP or the local mailbox)."

    def add_arguments(self, parser):
        parser.add_argument("to")
        parser.add_argument("--language", default="zh-hant")

    def handle(self, *args, to, language, **options):
        with transaction.atomic():
            email = queue_mail(
                to=to, template="test_message", context={"name": to}, language=language
            )
        self.stdout.write(f"queued message {email.pk} to {to}")
