"""Admin of inspection plans, inspections, alarms, frozen limits and control charts."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.middleware.csrf import get_token
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from inventory.models import Item, Lot
from mes.admin import ReadOnlyAdmin, ServiceModelAdmin, form_page, run_for_each
from mes.audit import plain_decimal
from mes.errors import DomainError, NotFound
from production.models import ProductionOrder

from ..models import (
    Characteristic,
    ControlLimits,
    Inspection,
    InspectionPlan,
    InspectionResult,
    QualityAlarm,
)
from . import selectors, services


def _plain(value) -> str:
    return "" if value is None else plain_decimal(value)


def _chart_url(item_id: int, code: str) -> str:
    return reverse("admin:quality_spc_chart", args=[item_id, code])


class CharacteristicForm(forms.Form):
    code = forms.CharField(label=_("code"), max_length=64)
    name = forms.CharField(label=_("name"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("kind"), choices=Characteristic.Kind.choices)
    nominal = forms.DecimalField(
        label=_("nominal"), max_digits=18, decimal_places=6, required=False
    )
    lsl = forms.DecimalField(label=_("LSL"), max_digits=18, decimal_places=6, required=False)
    usl = forms.DecimalField(label=_("USL"), max_digits=18, decimal_places=6, required=False)
    uom = forms.CharField(label=_("unit"), max_length=64, required=False)
    sample_size = forms.IntegerField(label=_("sample size"), min_value=1, initial=1)
    chart = forms.ChoiceField(
        label=_("control chart"),
        choices=[("", _("automatic")), *Characteristic.Chart.choices],
        required=False,
    )


CharacteristicFormSet = forms.formset_factory(CharacteristicForm, extra=2)


def _characteristics_html(plan: InspectionPlan) -> str:
    rows = []
    for version in plan.versions.order_by("-version").prefetch_related("characteristics__uom"):
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            '<td>{}</td><td><a href="{}">{}</a></td></tr>',
            (
                (
                    c.code,
                    c.name,
                    c.get_kind_display(),
                    _plain(c.nominal),
                    _plain(c.lsl),
                    _plain(c.usl),
                    c.uom.code if c.uom_id else "",
                    c.sample_size,
                    _chart_url(plan.item_id, c.code),
                    c.get_chart_display(),
                )
                for c in version.characteristics.all()
            ),
        )
        state = gettext("active") if version.is_active else gettext("earlier version")
        rows.append(
            format_html(
                "<h3>{} {} ({})</h3><table><thead><tr><th>{}</th><th>{}</th><th>{}</th>"
                "<th>{}</th><th>LSL</th><th>USL</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
                "<tbody>{}</tbody></table>",
                gettext("Version"),
                version.version,
                state,
                gettext("code"),
                gettext("name"),
                gettext("kind"),
                gettext("nominal"),
                gettext("unit"),
                gettext("sample size"),
                gettext("control chart"),
                body,
            )
        )
    return mark_safe("".join(rows)) if rows else gettext("No characteristics yet.")


@admin.register(InspectionPlan)
class InspectionPlanAdmin(ServiceModelAdmin):
    list_display = (
        "code",
        "name",
        "item",
        "operation_seq",
        "kind",
        "required_to_complete",
        "hold_on_spec_violation",
        "is_active",
        "updated_at",
    )
    list_filter = ("kind", "is_active", "required_to_complete", "rule_set")
    search_fields = ("code", "name", "item__code", "item__name")
    list_select_related = ("item",)
    autocomplete_fields = ("item",)
    readonly_fields = ("characteristics",)
    fields = ("code", *services.PLAN_FIELDS, "characteristics")
    update_service = services.update_inspection_plan

    def get_readonly_fields(self, request, obj=None):
        return ("code", "characteristics") if obj else ("characteristics",)

    @staticmethod
    def create_service(*, actor, code, **values):
        # A new plan starts without characteristics: they are entered on the next page.
        return services.create_inspection_plan(actor=actor, code=code, characteristics=[], **values)

    def response_add(self, request, obj, post_url_continue=None):
        return HttpResponseRedirect(
            reverse("admin:quality_inspectionplan_characteristics", args=[obj.pk])
        )

    @admin.display(description=_("characteristics"))
    def characteristics(self, obj: InspectionPlan):
        if obj.pk is None:
            return gettext("Save the plan first, then list its characteristics.")
        link = reverse("admin:quality_inspectionplan_characteristics", args=[obj.pk])
        record = reverse("admin:quality_inspection_record", args=[obj.pk])
        return format_html(
            '{}<p><a class="button" href="{}">{}</a> <a class="button" href="{}">{}</a></p>',
            _characteristics_html(obj),
            link,
            gettext("New version of the characteristics"),
            record,
            gettext("Record an inspection"),
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/characteristics/",
                self.admin_site.admin_view(self.characteristics_view),
                name="quality_inspectionplan_characteristics",
            ),
            path(
                "chart/<int:item_id>/<str:code>/",
                self.admin_site.admin_view(self.chart_view),
                name="quality_spc_chart",
            ),
            *super().get_urls(),
        ]

    def chart_view(self, request, item_id: int, code: str):
        if not request.user.has_perm("quality.view_inspectionresult"):
            raise PermissionDenied
        item = Item.objects.filter(pk=item_id).first()
        if item is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, str(item_id))
        try:
            return chart_page(request, self.admin_site, item, code)
        except DomainError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("admin:quality_inspectionplan_changelist"))

    def characteristics_view(self, request, object_id):
        plan = self.get_object(request, object_id)
        if plan is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, plan):
            raise PermissionDenied
        if request.method == "POST":
            formset = CharacteristicFormSet(request.POST)
            if formset.is_valid():
                rows = [
                    {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
                    for form in formset.forms
                    if form.cleaned_data
                ]
                try:
                    services.update_inspection_plan(plan, actor=request.user, characteristics=rows)
                except DomainError as exc:
                    details = [f"{field}: {'; '.join(m)}" for field, m in exc.errors.items()]
                    messages.error(request, " ".join(details) or exc.message)
                else:
                    messages.success(request, gettext("Saved."))
                    return HttpResponseRedirect(
                        reverse("admin:quality_inspectionplan_change", args=[plan.pk])
                    )
        else:
            formset = CharacteristicFormSet(
                initial=[
                    {
                        "code": c.code,
                        "name": c.name,
                        "kind": c.kind,
                        "nominal": c.nominal,
                        "lsl": c.lsl,
                        "usl": c.usl,
                        "uom": c.uom.code if c.uom_id else "",
                        "sample_size": c.sample_size,
                        "chart": c.chart,
                    }
                    for c in plan.active_characteristics
                ]
            )
        return form_page(
            request,
            self.admin_site,
            title=gettext("Characteristics of %(plan)s") % {"plan": plan},
            opts=self.opts,
            object=plan,
            formset=formset,
            description=gettext(
                "List every characteristic of the new version; leave a row empty to drop it. "
                "Saving keeps the earlier versions."
            ),
            submit_label=gettext("Save as new version"),
        )


class ResultInline(admin.TabularInline):
    model = InspectionResult
    fields = (
        "characteristic_code",
        "values",
        "sample_size",
        "defectives",
        "defects",
        "defect_code",
        "in_spec",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RecordForm(forms.Form):
    production_order = forms.CharField(label=_("production order"), required=False)
    seq = forms.IntegerField(label=_("operation"), required=False, min_value=1)
    lot = forms.CharField(label=_("lot"), required=False)
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, plan: InspectionPlan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        for c in plan.active_characteristics:
            if c.kind == Characteristic.Kind.MEASURE:
                help_text = gettext(
                    "%(n)s value(s), separated by spaces. Spec %(lsl)s – %(usl)s %(unit)s"
                ) % {
                    "n": c.sample_size,
                    "lsl": _plain(c.lsl),
                    "usl": _plain(c.usl),
                    "unit": c.uom.code if c.uom_id else "",
                }
                self.fields[f"c_{c.code}"] = forms.CharField(
                    label=f"{c.code} · {c.name}", help_text=help_text
                )
            elif c.sample_size == 1:
                self.fields[f"c_{c.code}"] = forms.ChoiceField(
                    label=f"{c.code} · {c.name}",
                    choices=[("ok", gettext("pass")), ("nok", gettext("fail"))],
                    widget=forms.RadioSelect,
                )
            else:
                self.fields[f"c_{c.code}"] = forms.IntegerField(
                    label=f"{c.code} · {c.name}",
                    min_value=0,
                    max_value=c.sample_size,
                    help_text=gettext("Defective units out of %(n)s.") % {"n": c.sample_size},
                )

    def results(self) -> list[dict]:
        found = []
        for c in self.plan.active_characteristics:
            value = self.cleaned_data[f"c_{c.code}"]
            if c.kind == Characteristic.Kind.MEASURE:
                found.append({"characteristic": c.code, "values": value.replace(",", " ").split()})
            elif c.sample_size == 1:
                found.append({"characteristic": c.code, "ok": value == "ok"})
            else:
                found.append({"characteristic": c.code, "defectives": value})
        return found


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = (
        "inspected_at",
        "plan",
        "production_order",
        "seq",
        "lot",
        "verdict",
        "inspected_by",
    )
    list_filter = (
        "verdict",
        ("inspected_at", admin.DateFieldListFilter),
        "plan_version__plan__kind",
    )
    search_fields = (
        "plan_version__plan__code",
        "production_order__code",
        "lot__code",
        "plan_version__plan__item__code",
    )
    list_select_related = (
        "plan_version__plan",
        "production_order",
        "operation",
        "lot",
        "inspected_by",
    )
    date_hierarchy = "inspected_at"
    inlines = (ResultInline,)

    @admin.display(description=_("inspection plan"), ordering="plan_version__plan__code")
    def plan(self, obj):
        return f"{obj.plan_version.plan.code} v{obj.plan_version.version}"

    @admin.display(description=_("operation"))
    def seq(self, obj):
        return obj.operation.seq if obj.operation_id else ""

    def get_urls(self):
        view = self.admin_site.admin_view(self.record_view)
        return [
            path("record/<int:plan_id>/", view, name="quality_inspection_record"),
            *super().get_urls(),
        ]

    def record_view(self, request, plan_id: int):
        """Record an inspection against a plan (the same service as the API)."""
        if not request.user.has_perm("quality.add_inspection"):
            raise PermissionDenied
        plan = InspectionPlan.objects.filter(pk=plan_id).first()
        if plan is None:
            raise PermissionDenied
        form = RecordForm(request.POST or None, plan=plan)
        if request.method == "POST" and form.is_valid():
            try:
                inspection = self._record(request, plan, form)
            except DomainError as exc:
                details = [f"{field}: {'; '.join(m)}" for field, m in exc.errors.items()]
                messages.error(request, " ".join(details) or exc.message)
            else:
                level = messages.SUCCESS if inspection.verdict == "pass" else messages.WARNING
                messages.add_message(
                    request,
                    level,
                    gettext("Inspection recorded: %(verdict)s.")
                    % {"verdict": inspection.get_verdict_display()},
                )
                return HttpResponseRedirect(
                    reverse("admin:quality_inspection_change", args=[inspection.pk])
                )
        return form_page(
            request,
            self.admin_site,
            title=gettext("Record an inspection: %(plan)s") % {"plan": plan},
            opts=self.opts,
            form=form,
            submit_label=gettext("Record"),
        )

    def _record(self, request, plan, form):
        data = form.cleaned_data
        order = operation = lot = None
        if data["production_order"]:
            order = ProductionOrder.objects.filter(code=data["production_order"]).first()
            if order is None:
                raise NotFound(gettext("No such production order."))
            if data["seq"]:
                operation = order.operations.filter(seq=data["seq"]).first()
        if data["lot"]:
            lot = Lot.objects.filter(item=plan.item, code=data["lot"]).first()
            if lot is None:
                raise NotFound(gettext("No such lot of the plan's item."))
        return services.record_inspection(
            actor=request.user,
            plan=plan,
            production_order=order,
            operation=operation,
            lot=lot,
            results=form.results(),
            notes=data["notes"],
        )


@admin.register(QualityAlarm)
class QualityAlarmAdmin(ReadOnlyAdmin):
    list_display = (
        "raised_at",
        "status",
        "kind",
        "item",
        "characteristic_code",
        "rule",
        "message",
        "chart",
    )
    list_filter = ("status", "kind", ("raised_at", admin.DateFieldListFilter))
    search_fields = ("item__code", "characteristic_code", "message")
    list_select_related = ("item",)
    actions = ["acknowledge"]

    def has_acknowledge_permission(self, request):
        return request.user.has_perm("quality.change_qualityalarm")

    @admin.display(description=_("control chart"))
    def chart(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            _chart_url(obj.item_id, obj.characteristic_code),
            gettext("chart"),
        )

    @admin.action(description=_("Acknowledge selected alarms"), permissions=["acknowledge"])
    def acknowledge(self, request, queryset):
        run_for_each(
            self, request, queryset, services.acknowledge_alarm, gettext("%(count)d acknowledged.")
        )


@admin.register(ControlLimits)
class ControlLimitsAdmin(ReadOnlyAdmin):
    list_display = (
        "item",
        "characteristic_code",
        "chart",
        "centre",
        "lcl",
        "ucl",
        "points",
        "baseline_from",
        "baseline_to",
        "is_active",
        "frozen_by",
        "frozen_at",
    )
    list_filter = ("is_active", "chart")
    search_fields = ("item__code", "characteristic_code")
    list_select_related = ("item", "frozen_by")


class FreezeForm(forms.Form):
    start = forms.DateTimeField(label=_("baseline from"))
    end = forms.DateTimeField(label=_("baseline to"))


CAPABILITY_ROWS = (
    ("cp", "Cp"),
    ("cpk", "Cpk"),
    ("pp", "Pp"),
    ("ppk", "Ppk"),
    ("mean", _("mean")),
    ("sigma_within", _("sigma (within)")),
)


def _figures(capability: dict) -> str:
    return format_html_join(
        "",
        "<tr><th>{}</th><td>{}</td></tr>",
        (
            (label, "—" if capability.get(key) is None else f"{capability[key]:.3f}")
            for key, label in CAPABILITY_ROWS
        ),
    )


def _violations(body: dict) -> str:
    return format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                v["index"] + 1,
                body["points"][v["index"]]["inspected_at"].strftime("%Y-%m-%d %H:%M"),
                v["rule"],
                v["description"],
            )
            for v in body["violations"]
        ),
    )


def _limits_text(limits: dict) -> str:
    if not limits.get("frozen"):
        return gettext("Computed from the points shown.")
    return gettext("Frozen from %(start)s to %(end)s.") % {
        "start": limits["baseline_from"],
        "end": limits["baseline_to"],
    }


def chart_page(request, admin_site, item: Item, code: str):
    """The control chart of a characteristic: picture, capability, violations, freezing."""
    can_freeze = request.user.has_perm("quality.add_controllimits")
    form = FreezeForm(request.POST or None)
    if request.method == "POST" and can_freeze:
        try:
            if "unfreeze" in request.POST:
                services.unfreeze_control_limits(
                    actor=request.user, item=item, characteristic_code=code
                )
                messages.success(request, gettext("Limits are computed from the data again."))
            elif form.is_valid():
                services.freeze_control_limits(
                    actor=request.user,
                    item=item,
                    characteristic_code=code,
                    start=form.cleaned_data["start"],
                    end=form.cleaned_data["end"],
                )
                messages.success(request, gettext("Control limits frozen."))
        except DomainError as exc:
            messages.error(request, exc.message)
        return HttpResponseRedirect(request.path)
    body = selectors.get_spc(item, code)
    limits = body["limits"] or {}
    before = format_html(
        '<div class="spc-chart">{}</div>{}<h2>{}</h2><table>{}</table><h2>{}</h2>'
        "<table><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
        "<tbody>{}</tbody></table><h2>{}</h2><p>{}</p>",
        mark_safe(selectors.chart_svg(body)),
        format_html("<p><strong>{}</strong></p>", body["message"]) if body["message"] else "",
        gettext("Process capability"),
        _figures(body["capability"] or {}),
        gettext("Rule violations"),
        gettext("when"),
        gettext("rule"),
        gettext("description"),
        _violations(body),
        gettext("Control limits"),
        _limits_text(limits),
    )
    unfreeze = ""
    if limits.get("frozen") and can_freeze:
        unfreeze = format_html(
            '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<input type="submit" name="unfreeze" value="{}"></form>',
            get_token(request),
            gettext("Compute from the data again"),
        )
    return form_page(
        request,
        admin_site,
        title=gettext("Control chart: %(item)s · %(code)s") % {"item": item.code, "code": code},
        before_form=before,
        form=form if can_freeze else None,
        description=gettext("Freeze the control limits from a baseline period:")
        if can_freeze
        else "",
        submit_label=gettext("Freeze limits"),
        after_form=unfreeze,
    )
