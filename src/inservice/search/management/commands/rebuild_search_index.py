from django.core.management.base import BaseCommand

from inservice.search import index


class Command(BaseCommand):
    help = "Rebuild the course search table (CourseSearchEntry) from the courses."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, batch_size, **options):
        count = index.rebuild(batch_size=batch_size)
        self.stdout.write(f"indexed {count} courses")
