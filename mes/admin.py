from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from . import services
from .audit import history_of
from .errors import DomainError
from .models import ApiKey, AuditEntry, UserProfile, WebhookDelivery, WebhookEndpoint, WebhookEvent
from .webhooks import services as webhook_services

admin.site.site_header = _("MES administration")
# The site a person last chose on the plant overview (the admin home): "my site", which
# the lists filtered by site open on.
SITE_SESSION_KEY = "my_site"
admin.site.site_title = _("MES")
admin.site.index_title = _("Plant")


class ServiceModelAdmin(admin.ModelAdmin):
    """An admin whose writes go through the app's services, so rules and audit apply.

    Set ``create_service``, ``update_service`` (and optionally ``delete_service``)
    to the service functions; a domain error is shown as a message, nothing saved.
    """

    create_service = None
    update_service = None
    delete_service = staticmethod(services.delete_record)

    def service_values(self, obj, form) -> dict:
        return {
            name: getattr(obj, name)
            for name in form.cleaned_data
            if name in {f.name for f in obj._meta.concrete_fields}
        }

    def save_model(self, request, obj, form, change):
        values = self.service_values(obj, form)
        if change:
            original = type(obj).objects.get(pk=obj.pk)
            saved = type(self).update_service(original, actor=request.user, **values)
        else:
            saved = type(self).create_service(actor=request.user, **values)
        obj.pk = saved.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        type(self).delete_service(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():  # all or nothing: one refusal keeps every row
            for obj in queryset:
                type(self).delete_service(obj, actor=request.user)

    def _refuse_on_domain_error(self, view, request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, *args, **kwargs):
        return self._refuse_on_domain_error(super().changeform_view, request, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        return self._refuse_on_domain_error(super().delete_view, request, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        return self._refuse_on_domain_error(super().changelist_view, request, *args, **kwargs)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_or_change_permission(request, obj):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        context = {
            **self.admin_site.each_context(request),
            "title": _("History: %s") % obj,
            "object": obj,
            "opts": self.opts,
            "entries": history_of(obj).select_related("actor")[:500],
        }
        return TemplateResponse(request, "admin/mes/audit_history.html", context)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_label", "action", "model", "object_repr")
    list_filter = ("action", "model", ("at", admin.DateFieldListFilter))
    search_fields = ("object_repr", "object_id", "actor_label")
    date_hierarchy = "at"
    list_select_related = ("actor",)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "role", "site", "created_at", "last_used_at", "revoked_at")
    list_filter = ("role", "site")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at", "user")
    fields = ("name", "role", "site", "prefix", "user", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        key, raw = services.create_api_key(
            actor=request.user, name=obj.name, role=obj.role, site=obj.site
        )
        obj.pk = key.pk
        self.message_user(
            request,
            _("Key for %(name)s (shown once, copy it now): %(key)s")
            % {"name": key.name, "key": raw},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke selected keys"))
    def revoke(self, request, queryset):
        for key in queryset:
            services.revoke_api_key(key, actor=request.user)


class UserProfileInline(admin.StackedInline):
    model = UserProfile
    can_delete = False
    fields = ("badge_id", "language", "site", "failed_pin_attempts")
    readonly_fields = ("failed_pin_attempts",)


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(UserAdmin):
    inlines = (UserProfileInline,)
    list_display = ("username", "first_name", "last_name", "is_staff", "is_active")
    actions = ["unlock_badges"]

    @admin.action(description=_("Unlock badges after wrong PINs"))
    def unlock_badges(self, request, queryset):
        for user in queryset.filter(profile__isnull=False):
            services.unlock_badge(user, actor=request.user)


def form_page(request, admin_site, *, title: str, submit_label: str = "", **context):
    """An admin page with a form (and/or formset) and free HTML around it."""
    return TemplateResponse(
        request,
        "admin/mes/form_page.html",
        {
            **admin_site.each_context(request),
            "title": title,
            "submit_label": submit_label,
            **context,
        },
    )


def run_for_each(modeladmin, request, queryset, command, done_message: str) -> int:
    """Call ``command(obj, actor=user)`` for each selected row; refusals become messages."""
    done = 0
    for obj in queryset:
        try:
            command(obj, actor=request.user)
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message % {"count": done}, messages.SUCCESS)
    return done


# --- webhooks ------------------------------------------------------------------------


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=WebhookEndpoint.EventType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    secret = forms.CharField(
        label=_("secret"),
        required=False,
        help_text=_(
            "whsec_… (Standard Webhooks). Left empty: a new endpoint gets one made "
            "for it, a changed one keeps its own."
        ),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "events", "site", "description", "is_active", "secret")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "description", "site", "is_active", "pending_deliveries", "updated_at")
    list_filter = ("is_active", "site")
    list_select_related = ("site",)
    search_fields = ("url", "description")
    readonly_fields = ("current_secret",)
    create_service = staticmethod(webhook_services.create_endpoint)
    update_service = staticmethod(webhook_services.update_endpoint)
    delete_service = staticmethod(webhook_services.delete_endpoint)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                pending=Count(
                    "deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.PENDING)
                )
            )
        )

    @admin.display(description=_("pending deliveries"), ordering="pending")
    def pending_deliveries(self, obj) -> int:
        return obj.pending

    @admin.display(description=_("current secret"))
    def current_secret(self, obj) -> str:
        return obj.secret if obj.pk else "–"

    def service_values(self, obj, form) -> dict:
        values = super().service_values(obj, form)
        values["events"] = form.cleaned_data["events"]
        if not form.cleaned_data.get("secret"):
            values.pop("secret", None)
        return values


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "event_type",
        "event_id",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
    )
    list_filter = ("status", "event__type", "endpoint")
    search_fields = ("event__event_id", "endpoint__url")
    list_select_related = ("event", "endpoint")
    actions = ["replay"]

    @admin.display(description=_("type"), ordering="event__type")
    def event_type(self, obj) -> str:
        return obj.event.get_type_display()

    @admin.display(description=_("event id"), ordering="event__event_id")
    def event_id(self, obj) -> str:
        return obj.event.event_id

    def has_replay_permission(self, request) -> bool:
        return request.user.has_perm("mes.change_webhookdelivery")

    @admin.action(description=_("Send the selected deliveries again"), permissions=["replay"])
    def replay(self, request, queryset):
        count = webhook_services.replay_deliveries(queryset, actor=request.user)
        self.message_user(
            request,
            _("%(count)s deliveries will be sent again.") % {"count": count},
            messages.SUCCESS,
        )


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("type", "event_id", "created_at")
    list_filter = ("type",)
    search_fields = ("event_id",)
    date_hierarchy = "created_at"
