"""Admin for counties, units and jurisdiction history. Writes are audited; a new
Supervision row goes through `change_supervision`, so history is never edited in place."""

from django import forms
from django.contrib import admin
from django.db import models
from django.forms.models import model_to_dict
from django.utils.translation import gettext_lazy as _

from inservice.core.audit import log_event
from inservice.core.errors import DomainError

from .models import County, Ownership, Supervision, Unit
from .services import change_supervision, check_supervision_change


def _changes(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


class AuditedAdmin(admin.ModelAdmin):
    audit_action = ""
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        before = model_to_dict(type(obj).objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        old, new = _changes(before, model_to_dict(obj))
        if new:
            log_event(
                f"{self.audit_action}.{'admin_changed' if change else 'admin_created'}",
                actor=request.user,
                obj=obj,
                before=old or None,
                after=new,
            )


@admin.register(County)
class CountyAdmin(AuditedAdmin):
    audit_action = "county"
    list_display = ["code", "name", "sort_order", "transmits_own_data"]
    list_filter = ["transmits_own_data"]
    search_fields = ["code", "name"]
    ordering = ["sort_order"]


class SupervisionInline(admin.TabularInline):
    model = Supervision
    fk_name = "unit"
    fields = ["authority", "valid_from", "valid_to", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("主管機關歷程（新增請使用「主管機關歷程」頁）")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Unit)
class UnitAdmin(AuditedAdmin):
    audit_action = "unit"
    list_display = ["code", "name", "kind", "ownership", "county", "is_active"]
    list_filter = ["kind", "ownership", "is_active", "county"]
    search_fields = ["code", "name"]
    list_select_related = ["county"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [SupervisionInline]


class SupervisionAddForm(forms.ModelForm):
    ownership = forms.ChoiceField(
        label=_("同時變更設立別"),
        choices=[("", _("不變更")), *Ownership.choices],
        required=False,
        help_text=_("例如國立高中改隸直轄市時改為「直轄市或縣市立」。"),
    )

    class Meta:
        model = Supervision
        fields = ["unit", "authority", "valid_from", "note"]

    def clean(self):
        data = super().clean()
        unit, authority, valid_from = (
            data.get("unit"),
            data.get("authority"),
            data.get("valid_from"),
        )
        if unit and authority and valid_from:
            try:
                check_supervision_change(unit, authority, valid_from)
            except DomainError as error:
                raise forms.ValidationError(error.message)
        return data


@admin.register(Supervision)
class SupervisionAdmin(admin.ModelAdmin):
    list_display = ["unit", "authority", "valid_from", "valid_to", "note"]
    list_filter = ["authority__kind", "authority"]
    search_fields = ["unit__code", "unit__name", "authority__name"]
    list_select_related = ["unit", "authority"]
    autocomplete_fields = ["unit", "authority"]
    date_hierarchy = "valid_from"

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = SupervisionAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["unit", "authority", "valid_from", "note", "ownership"]
        return ["unit", "authority", "valid_from", "valid_to", "note"]

    def get_readonly_fields(self, request, obj=None):
        return ["unit", "authority", "valid_from", "valid_to"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            before = Supervision.objects.get(pk=obj.pk).note
            super().save_model(request, obj, form, change)
            if before != obj.note:
                log_event(
                    "unit.supervision_note_changed",
                    actor=request.user,
                    obj=obj.unit,
                    before={"note": before},
                    after={"note": obj.note},
                )
            return
        row = change_supervision(
            actor=request.user,
            unit=obj.unit,
            authority=obj.authority,
            valid_from=obj.valid_from,
            note=obj.note,
            ownership=form.cleaned_data.get("ownership") or None,
        )
        obj.pk, obj.valid_to = row.pk, row.valid_to
