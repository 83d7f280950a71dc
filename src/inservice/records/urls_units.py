"""Records URLs: units (filled in by its area)."""

urlpatterns: list = []
