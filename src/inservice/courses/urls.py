"""Course URLs, assembled from three areas: organizers (manage/), reviewers (review/), and the
public course page plus change requests (courses/, change-requests)."""

from . import urls_manage, urls_public, urls_review

app_name = "courses"
urlpatterns = urls_manage.urlpatterns + urls_review.urlpatterns + urls_public.urlpatterns
