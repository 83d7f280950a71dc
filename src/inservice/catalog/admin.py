"""Reference data is changed only by data migrations (docs/catalog.md): the admin shows it
read-only so that operators can look codes up without being able to edit them."""

from django.contrib import admin

from .models import (
    AttributeTag,
    Code,
    CurriculumStage,
    LearningDomain,
    Subject,
    TagDefinition,
    TopicNode,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Code)
class CodeAdmin(ReadOnlyAdmin):
    list_display = ["table", "code", "name", "needs_text", "valid_from", "valid_to"]
    list_filter = ["table"]
    search_fields = ["code", "name"]


@admin.register(TopicNode)
class TopicNodeAdmin(ReadOnlyAdmin):
    list_display = ["stage", "code", "name", "kind", "valid_from", "valid_to"]
    list_filter = ["stage", "kind", "category"]
    search_fields = ["code", "name"]


class TagDefinitionInline(ReadOnlyInline):
    model = TagDefinition


@admin.register(AttributeTag)
class AttributeTagAdmin(ReadOnlyAdmin):
    list_display = ["name", "code", "valid_from", "valid_to"]
    search_fields = ["name", "code"]
    inlines = [TagDefinitionInline]


class LearningDomainInline(ReadOnlyInline):
    model = LearningDomain
    fields = ["code", "name", "source", "valid_from", "valid_to"]


@admin.register(CurriculumStage)
class CurriculumStageAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "taxonomy_stage", "source"]
    inlines = [LearningDomainInline]


@admin.register(Subject)
class SubjectAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "domain", "valid_from", "valid_to"]
    list_filter = ["domain__stage"]
    search_fields = ["code", "name", "domain__name"]
    list_select_related = ["domain__stage"]
