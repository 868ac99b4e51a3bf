"""Terminals (which tablet serves which work center or machine) and work instructions."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from mes.admin import ServiceModelAdmin
from mes.errors import DomainError

from ..models import Terminal, WorkInstruction, WorkInstructionVersion
from . import instructions, services


@admin.register(Terminal)
class TerminalAdmin(ServiceModelAdmin):
    list_display = ("code", "name", "work_center", "machine", "is_active", "updated_at")
    list_filter = ("work_center", "is_active")
    list_select_related = ("work_center", "machine")
    search_fields = ("code", "name")
    create_service = services.create_terminal
    update_service = services.update_terminal


@admin.register(WorkInstruction)
class WorkInstructionAdmin(ServiceModelAdmin):
    list_display = ("code", "title", "item", "operation_seq", "updated_at")
    list_select_related = ("item",)
    search_fields = ("code", "title", "item__code")
    create_service = instructions.create_work_instruction
    update_service = instructions.update_work_instruction


class VersionForm(forms.ModelForm):
    class Meta:
        model = WorkInstructionVersion
        fields = ("instruction", "document", "text", "note")

    def clean(self):
        cleaned = super().clean()
        try:
            instructions.check_content(cleaned.get("document") or None, cleaned.get("text") or "")
        except DomainError as exc:
            raise ValidationError(exc.message) from exc
        return cleaned


@admin.register(WorkInstructionVersion)
class WorkInstructionVersionAdmin(admin.ModelAdmin):
    """Versions are added, never changed: a new one goes in force, the old ones stay."""

    form = VersionForm
    list_display = ("instruction", "version", "in_force", "note", "created_by", "created_at")
    list_filter = ("in_force",)
    list_select_related = ("instruction", "created_by")
    search_fields = ("instruction__code", "instruction__title")

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = instructions.add_instruction_version(
            form.cleaned_data["instruction"],
            actor=request.user,
            document=form.cleaned_data.get("document") or None,
            text=form.cleaned_data.get("text") or "",
            note=form.cleaned_data.get("note") or "",
        )
        obj.pk = saved.pk
