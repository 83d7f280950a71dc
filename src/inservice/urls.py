from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from inservice.core import views as core_views
from inservice.core.access import public

urlpatterns = [
    path("", core_views.home, name="home"),
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("courses/", include("inservice.search.urls")),
    path("accounts/", include("inservice.accounts.urls")),
    path("units/", include("inservice.organizations.urls")),
    path("catalog/", include("inservice.catalog.urls")),
    path("", include("inservice.courses.urls")),
    path("", include("inservice.enrollment.urls")),
    path("", include("inservice.attendance.urls")),
    path("", include("inservice.records.urls")),
    path("captcha/", include("captcha.urls")),
    path("admin/", admin.site.urls),
]
