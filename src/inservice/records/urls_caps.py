"""Records URLs: caps (filled in by its area)."""

urlpatterns: list = []
