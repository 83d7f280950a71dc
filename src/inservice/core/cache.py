"""Django's Redis cache backend, keeping one client object per process.

Django's backend builds a new `redis.Redis` object for every cache call, and redis-py fills
its table of about a hundred reply callbacks each time. On a logged-in request the session's
read-through (`cached_db`) made that a tenth of the request's CPU. A `redis.Redis` is
thread-safe and only borrows connections from its pool, so one per pool serves every call.
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class _Client(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients.setdefault(index, self._client(connection_pool=pool))
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _Client
