"""Test settings: the suite runs on PostgreSQL (make test starts a private cluster)."""

import os

os.environ["INSERVICE_TESTING"] = "1"
os.environ.setdefault("HUEY_IMMEDIATE", "1")

from .settings import *  # noqa: E402,F403
from .settings import DATABASES  # noqa: E402

if not DATABASES["default"]["ENGINE"].endswith("postgresql") and not os.environ.get(
    "INSERVICE_ALLOW_SQLITE_TESTS"
):
    raise RuntimeError("Tests run on PostgreSQL: use `make test` or set DATABASE_URL.")

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
HUEY = {**HUEY, "immediate": True}  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
