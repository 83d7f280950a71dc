"""Synthetic national-scale data for benchmarks (issue 6): `generate(scale, seed)`.

Not a Django app (no models, no migrations): it writes the apps' own tables in bulk with
PostgreSQL COPY. See docs/performance.md, section "Dataset".
"""

from .spec import SCALES, Scale

__all__ = ["SCALES", "Scale", "generate"]


def generate(*args, **kwargs):
    from .generator import generate as _generate

    return _generate(*args, **kwargs)
