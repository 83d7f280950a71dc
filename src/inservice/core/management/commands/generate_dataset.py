"""`manage.py generate_dataset --scale tiny|small|national --seed N` (issue 6, benchmarks)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from inservice.benchdata import SCALES


class Command(BaseCommand):
    help = (
        "Fill a PostgreSQL database with deterministic synthetic data at the size of the "
        "national network (benchmarks only: it REPLACES courses, teachers, accounts and "
        "records; reference data stays). See docs/performance.md, section Dataset."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="The generation's 'today' (YYYY-MM-DD); default: today in Asia/Taipei.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Wipe a database that holds data the generator did not make.",
        )
        parser.add_argument("--out-dir", default=None, help="Where to write the anchors JSON.")
        parser.add_argument("--database", default="default")
        parser.add_argument("--quiet", action="store_true", help="No progress lines.")

    def handle(self, *args, **options):
        from inservice.benchdata.generator import DatasetError, generate

        try:
            anchors = generate(
                options["scale"],
                options["seed"],
                today=options["today"],
                force=options["force"],
                out_dir=options["out_dir"],
                progress=not options["quiet"],
                stream=self.stderr,
                using=options["database"],
            )
        except DatasetError as exc:
            raise CommandError(str(exc)) from exc
        counts = ", ".join(f"{k} {v:,}" for k, v in anchors["counts"].items())
        self.stdout.write(self.style.SUCCESS(f"Dataset {options['scale']}: {counts}"))
        self.stdout.write(f"Anchors: {anchors['path']}")
