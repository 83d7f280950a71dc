"""Run by test_redis_settings in a process of its own: the production settings module with
(or without) REDIS_URL; prints what the cache, the sessions and the job queue use."""

import json

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from huey.contrib.djhuey import HUEY  # noqa: E402

out = {
    "cache": settings.CACHES["default"]["BACKEND"],
    "session_engine": settings.SESSION_ENGINE,
    "search_cache_seconds": settings.SEARCH_CACHE_SECONDS,
    "huey": type(HUEY).__name__,
}
if settings.REDIS_URL:
    cache.set("probe:值", {"教師": 1}, 30)
    out["cache_roundtrip"] = cache.get("probe:值")

    @HUEY.task()
    def probe_task(value):
        return value

    HUEY.flush()
    probe_task("研習")
    out["pending"] = HUEY.pending_count()
    task = HUEY.dequeue()
    out["dequeued_args"] = list(task.args) if task else None
    HUEY.flush()
print(json.dumps(out, ensure_ascii=False))
