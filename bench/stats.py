"""Percentiles and summaries of latency samples (pure Python, no numpy)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def percentile(samples: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0–100) by linear interpolation between the closest ranks — the
    method numpy calls "linear" (and spreadsheets PERCENTILE.INC). None for no samples."""
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} is outside 0–100")
    if not samples:
        return None
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(samples: Iterable[float], *, seconds: float | None = None, digits: int = 1) -> dict:
    """count, p50, p95, p99, mean and max of `samples` (milliseconds in, milliseconds out),
    and `per_s` (count ÷ `seconds`) when the wall time of the run is given."""
    values = list(samples)
    out: dict = {"count": len(values)}
    for name, p in (("p50", 50), ("p95", 95), ("p99", 99)):
        value = percentile(values, p)
        out[name] = None if value is None else round(value, digits)
    out["mean"] = round(sum(values) / len(values), digits) if values else None
    out["max"] = round(max(values), digits) if values else None
    if seconds is not None:
        out["per_s"] = round(len(values) / seconds, 1) if seconds > 0 else None
    return out


def ratio(numerator: float | None, denominator: float | None, digits: int = 2) -> float | None:
    """numerator ÷ denominator, None when either is missing or the denominator is 0."""
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, digits)


def server_ms(header: str | None) -> float | None:
    """The `app` duration in a Server-Timing header (`app;dur=12.3`), in milliseconds."""
    if not header:
        return None
    for metric in header.split(","):
        parts = [p.strip() for p in metric.split(";")]
        if parts[0] != "app":
            continue
        for part in parts[1:]:
            if part.startswith("dur="):
                try:
                    return float(part[4:])
                except ValueError:
                    return None
    return None
