"""Imports the WSGI module the way gunicorn does and prints what that already loaded."""

import gc
import json
import sys

sys.path[:0] = ["src", "."]

from django.utils import translation  # noqa: E402

import inservice.wsgi  # noqa: E402, F401

print(
    json.dumps(
        {
            "urlconf": "inservice.urls" in sys.modules,
            "views": "inservice.enrollment.views_registration" in sys.modules,
            "catalogs": sorted(translation.trans_real._translations),
            "frozen": gc.get_freeze_count(),
            "threshold": gc.get_threshold(),
        }
    )
)
