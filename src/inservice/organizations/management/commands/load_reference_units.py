"""Install or refresh the reference counties and units (same data as migration 0003)."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from inservice.organizations import reference_data


class Command(BaseCommand):
    help = "建立或更新 22 縣市、教育部、全國推廣中心、國教署各組、縣市教育局(處)等參考資料。"

    def handle(self, *args, **options):
        with transaction.atomic():
            reference_data.install(apps)
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(reference_data.COUNTIES)} counties, "
                f"{len(reference_data.UNITS) + len(reference_data.COUNTIES)} reference units."
            )
        )
