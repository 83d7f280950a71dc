import pytest


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    """make_course(approve=True) with the after-commit signals run (the search index follows)."""
    from tests.factories import make_course

    def _publish(unit=None, **overrides):
        with django_capture_on_commit_callbacks(execute=True):
            return make_course(unit, approve=True, **overrides)

    return _publish
