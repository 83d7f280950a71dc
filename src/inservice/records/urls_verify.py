"""Records URLs: verify (filled in by its area)."""

urlpatterns: list = []
