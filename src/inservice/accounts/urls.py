"""Account URLs, assembled from three areas: sign-in (auth), staff accounts, teachers."""

from . import urls_auth, urls_staff, urls_teacher

app_name = "accounts"
urlpatterns = urls_auth.urlpatterns + urls_staff.urlpatterns + urls_teacher.urlpatterns
