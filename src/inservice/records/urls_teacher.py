"""Records URLs: teacher (filled in by its area)."""

urlpatterns: list = []
