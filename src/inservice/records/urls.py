"""Records URLs, from four areas: cap exceptions (centers), a teacher's own records, schools'
and centers' records of their teachers, and transcript verification (public)."""

from . import urls_caps, urls_teacher, urls_units, urls_verify

app_name = "records"
urlpatterns = (
    urls_caps.urlpatterns
    + urls_teacher.urlpatterns
    + urls_units.urlpatterns
    + urls_verify.urlpatterns
)
