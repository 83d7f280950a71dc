"""Attendance upload in a process of its own, so its peak memory is the upload's:

    python -m bench.upload_job <course pk> <file.xlsx> <actor user pk>

Prints one JSON line (bench.upload.run_upload's figures). Used by bench/run.py.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> int:
    course_pk, path, actor_pk = int(argv[0]), argv[1], int(argv[2])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inservice.settings")
    import django

    django.setup()
    from bench.upload import run_upload
    from inservice.accounts.models import User
    from inservice.courses.models import Course

    course = Course.objects.get(pk=course_pk)
    actor = User.objects.select_related("staff__unit").get(pk=actor_pk)
    print(json.dumps(run_upload(course, path, actor=actor)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
