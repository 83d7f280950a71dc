from django.core.management.base import BaseCommand

from inservice.core.idnumbers import InvalidIdNumber, classify


class Command(BaseCommand):
    help = "Checks ID numbers (national ID, new and old resident certificate numbers)."

    def add_arguments(self, parser):
        parser.add_argument("values", nargs="+", metavar="VALUE")

    def handle(self, *args, values, **options):
        for raw in values:
            try:
                _value, kind = classify(raw)
                self.stdout.write(f"{raw}: {kind}")
            except InvalidIdNumber as exc:
                self.stdout.write(f"{raw}: invalid ({exc.reason})")
