from django.contrib import admin

from .models import OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ("created_at", "to", "subject", "template", "status", "attempts", "sent_at")
    list_filter = ("status", "template", "language")
    search_fields = ("to", "subject")
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
    actions = ["requeue"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="重新排入寄送佇列")
    def requeue(self, request, queryset):
        from .tasks import deliver_email

        for email in queryset.exclude(status=OutboundEmail.Status.SENT):
            email.status = OutboundEmail.Status.QUEUED
            email.save(update_fields=["status"])
            deliver_email(email.pk)
