from django.contrib import admin

from .models import AutoReviewSetting, ChangeRequest, Course, CourseVersion


class ReadOnlyAdmin(admin.ModelAdmin):
    """Courses change only through the services (audited); the admin is for looking."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Course)
class CourseAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "unit", "status", "start_date", "reviewing_center")
    list_filter = ("status", "source")
    search_fields = ("=code", "name", "unit__name")
    list_select_related = ("unit", "reviewing_center")


@admin.register(CourseVersion)
class CourseVersionAdmin(ReadOnlyAdmin):
    list_display = ("course", "number", "state", "submitted_at", "reviewed_at", "auto_approved")
    list_filter = ("state", "auto_approved")
    search_fields = ("=course__code", "name")
    list_select_related = ("course",)


@admin.register(AutoReviewSetting)
class AutoReviewSettingAdmin(ReadOnlyAdmin):
    list_display = ("center", "courses", "attendance_lists", "changed_by", "changed_at")


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyAdmin):
    list_display = ("course", "state", "requested_at", "decided_at", "done_at")
    list_filter = ("state",)
