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
    # core/cache.py: one client object for every call of this process, and the calls the
    # app makes (sessions, search tokens and results) work through it.
    out["same_client"] = cache._cache.get_client() is cache._cache.get_client(write=True)
    out["add"] = [cache.add("probe:n", 1, 30), cache.add("probe:n", 2, 30)]
    out["incr"] = cache.incr("probe:n")
    cache.set_many({"probe:a": "甲", "probe:b": "乙"}, 30)
    out["get_many"] = cache.get_many(["probe:a", "probe:b", "probe:none"])
    out["deleted"] = [cache.delete("probe:a"), cache.get("probe:a", "gone")]

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
