"""A small asyncio HTTP/1.1 client for loopback load (stdlib only).

One connection per request (`Connection: close`): gunicorn's sync workers close the
connection after every response anyway, so this is what a browser gets from them. The
latency of a request runs from the connect to the last byte of the response.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode


@dataclass
class Request:
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    label: str = ""


@dataclass
class Response:
    label: str
    status: int  # 0: no HTTP response (connection refused/reset, timeout)
    ms: float
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    error: str = ""


def build_path(path: str, params: dict) -> str:
    """`path` with `params` as a query string (lists repeat the name), UTF-8 encoded."""
    query = urlencode(params, doseq=True)
    return f"{path}?{query}" if query else path


def _parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _sep, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _colon, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return status, headers, body


async def fetch(host: str, port: int, request: Request, *, timeout: float = 120.0) -> Response:
    started = time.perf_counter()
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: {host}:{port}"]
        headers = {"Connection": "close", "User-Agent": "inservice-bench", **request.headers}
        if request.body or request.method == "POST":
            headers["Content-Length"] = str(len(request.body))
        lines += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout)
        status, response_headers, body = _parse(raw)
        return Response(
            request.label, status, (time.perf_counter() - started) * 1000, response_headers, body
        )
    except (OSError, TimeoutError, ValueError, IndexError) as exc:
        return Response(
            request.label, 0, (time.perf_counter() - started) * 1000, error=repr(exc)[:200]
        )
    finally:
        if writer is not None:
            writer.close()


async def _sequential(host, port, requests: Sequence[Request]) -> list[Response]:
    return [await fetch(host, port, r) for r in requests]


def sequential(host: str, port: int, requests: Sequence[Request]) -> list[Response]:
    """One request after the other (no queueing: the latency of the request alone)."""
    return asyncio.run(_sequential(host, port, requests))


async def _burst(host, port, requests) -> tuple[list[Response], float]:
    # Every connection is opened at once; gunicorn's listen backlog queues what its workers
    # cannot take yet, as a real burst of browsers would be queued.
    started = time.perf_counter()
    responses = await asyncio.gather(*(fetch(host, port, r) for r in requests))
    return list(responses), time.perf_counter() - started


def burst(host: str, port: int, requests: Sequence[Request]) -> tuple[list[Response], float]:
    """All `requests` at the same moment; (responses, wall seconds until the last answer)."""
    return asyncio.run(_burst(host, port, requests))


async def _closed_loop(host, port, pick, concurrency, seconds):
    deadline = time.perf_counter() + seconds
    out: list[Response] = []

    async def client():
        while time.perf_counter() < deadline:
            out.append(await fetch(host, port, pick()))

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return out, time.perf_counter() - started


def closed_loop(
    host: str,
    port: int,
    requests: Sequence[Request],
    weights: Sequence[float],
    *,
    concurrency: int,
    seconds: float,
    seed: int = 1,
) -> tuple[list[Response], float]:
    """`concurrency` clients, each sending its next request (a weighted, seeded random
    choice from `requests`) as soon as the last one is answered, for `seconds`."""
    rng = random.Random(seed)

    def pick() -> Request:
        return rng.choices(requests, weights=weights)[0]

    return asyncio.run(_closed_loop(host, port, pick, concurrency, seconds))


def wait_until_up(host: str, port: int, path: str = "/", *, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = asyncio.run(fetch(host, port, Request(path), timeout=5))
        if response.status and response.status < 500:
            return True
        time.sleep(0.3)
    return False
