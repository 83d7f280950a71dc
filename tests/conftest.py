import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def pytest_collection_modifyitems(items):
    """Transactional tests flush the database; restore the reference data that migrations
    load (counties, centers, code tables) so later tests in the same worker still find it."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            item.add_marker(
                pytest.mark.django_db(**{**marker.kwargs, "serialized_rollback": True}),
                append=False,
            )
