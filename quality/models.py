"""Quality: inspection plans (versioned), inspections, frozen control limits, alarms,
nonconformance reports and lot holds.

SPC reads results by item and characteristic code across plan versions, so each
result repeats them (and the inspection's time) for one index scan.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mes.models import CodeField, TimeStampedModel, code_check, code_validator, quantity_field


def _measure_field(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=18, decimal_places=6, null=True, blank=True, **kwargs
    )


def _user_field(verbose_name, **kwargs) -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        **kwargs,
    )


# --- inspection plans ----------------------------------------------------------


class InspectionPlan(TimeStampedModel):
    """What to inspect on an item (at one routing operation, or the order as a whole).

    The settings are the header's; the characteristics are versioned below it,
    like BOMs: a changed list makes a new version, earlier ones are kept.
    """

    permission_area = "quality"

    class Kind(models.TextChoices):
        FIRST_ARTICLE = "first_article", _("first article inspection")
        IN_PROCESS = "in_process", _("in-process inspection")
        FINAL = "final", _("final inspection")

    class RuleSet(models.TextChoices):
        WESTERN_ELECTRIC = "western_electric", _("Western Electric rules")
        NELSON = "nelson", _("Nelson rules")

    code = CodeField()
    name = models.CharField(_("name"), max_length=200)
    item = models.ForeignKey(
        "inventory.Item",
        verbose_name=_("item"),
        on_delete=models.PROTECT,
        related_name="inspection_plans",
    )
    operation_seq = models.PositiveIntegerField(
        _("operation"),
        null=True,
        blank=True,
        help_text=_("The routing operation's sequence number; empty for the order as a whole."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    every_n_units = models.PositiveIntegerField(
        _("every N units"),
        null=True,
        blank=True,
        help_text=_("In-process only: one inspection per this many units; empty: once per lot."),
    )
    required_to_complete = models.BooleanField(
        _("required to complete"),
        default=False,
        help_text=_("The operation cannot complete before its inspections are recorded."),
    )
    hold_on_spec_violation = models.BooleanField(
        _("hold the lot on a spec violation"),
        default=False,
        help_text=_("A result outside the specification limits puts the lot on hold."),
    )
    rule_set = models.CharField(
        _("control chart rules"),
        max_length=20,
        choices=RuleSet.choices,
        default=RuleSet.WESTERN_ELECTRIC,
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("inspection plan")
        verbose_name_plural = _("inspection plans")
        ordering = ["item__code", "operation_seq", "code"]
        constraints = [
            code_check("inspection_plan"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["first_article", "in_process", "final"]),
                name="inspection_plan_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(rule_set__in=["western_electric", "nelson"]),
                name="inspection_plan_rule_set_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(every_n_units__isnull=True) | models.Q(every_n_units__gte=1),
                name="inspection_plan_every_n_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(operation_seq__isnull=True) | models.Q(operation_seq__gte=1),
                name="inspection_plan_operation_seq_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    @property
    def active_version(self) -> InspectionPlanVersion | None:
        """The version in force (uses prefetched versions when there are any)."""
        return next((v for v in self.versions.all() if v.is_active), None)

    @property
    def active_characteristics(self) -> list[Characteristic]:
        version = self.active_version
        return list(version.characteristics.all()) if version else []


class InspectionPlanVersion(models.Model):
    """One version of a plan's characteristics; a version's characteristics never change."""

    permission_area = "quality"

    plan = models.ForeignKey(
        InspectionPlan,
        verbose_name=_("inspection plan"),
        on_delete=models.CASCADE,
        related_name="versions",
    )
    version = models.PositiveIntegerField(_("version"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _user_field(_("created by"))

    class Meta:
        verbose_name = _("inspection plan version")
        verbose_name_plural = _("inspection plan versions")
        ordering = ["plan", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "version"], name="plan_version_unique"),
            models.UniqueConstraint(
                fields=["plan"],
                condition=models.Q(is_active=True),
                name="plan_version_one_active",
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="plan_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return _("%(plan)s v%(version)s") % {"plan": self.plan.code, "version": self.version}


class Characteristic(models.Model):
    """A measured dimension or an attribute (pass/fail, defect count) of a plan version."""

    permission_area = "quality"

    class Kind(models.TextChoices):
        MEASURE = "measure", _("measured")
        ATTRIBUTE = "attribute", _("attribute")

    class Chart(models.TextChoices):
        XBAR_R = "xbar_r", _("X̄-R chart")
        XBAR_S = "xbar_s", _("X̄-S chart")
        I_MR = "i_mr", _("I-MR chart")
        P = "p", _("p chart")
        NP = "np", _("np chart")
        C = "c", _("c chart")
        U = "u", _("u chart")

    plan_version = models.ForeignKey(
        InspectionPlanVersion,
        verbose_name=_("plan version"),
        on_delete=models.CASCADE,
        related_name="characteristics",
    )
    position = models.PositiveIntegerField(_("position"))
    code = models.CharField(_("code"), max_length=64, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    nominal = _measure_field(_("nominal"))
    lsl = _measure_field(_("lower specification limit"))
    usl = _measure_field(_("upper specification limit"))
    uom = models.ForeignKey(
        "inventory.UnitOfMeasure",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    sample_size = models.PositiveIntegerField(
        _("sample size"),
        default=1,
        help_text=_("Measured: values per subgroup. Attribute: units inspected per sample."),
    )
    chart = models.CharField(_("control chart"), max_length=8, choices=Chart.choices)

    class Meta:
        verbose_name = _("characteristic")
        verbose_name_plural = _("characteristics")
        ordering = ["plan_version", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan_version", "code"], name="characteristic_code_unique"
            ),
            code_check("characteristic"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["measure", "attribute"]),
                name="characteristic_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(sample_size__gte=1), name="characteristic_sample_size_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(lsl__isnull=True)
                | models.Q(usl__isnull=True)
                | models.Q(lsl__lt=models.F("usl")),
                name="characteristic_lsl_below_usl",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="measure", chart__in=["xbar_r", "xbar_s", "i_mr"])
                    | models.Q(kind="attribute", chart__in=["p", "np", "c", "u"])
                ),
                name="characteristic_chart_fits_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


# --- inspections ---------------------------------------------------------------


class Inspection(models.Model):
    """An inspection recorded against a plan version: who, when, on what, the verdict."""

    permission_area = "quality"

    class Verdict(models.TextChoices):
        PASS = "pass", _("pass")
        FAIL = "fail", _("fail")

    plan_version = models.ForeignKey(
        InspectionPlanVersion,
        verbose_name=_("plan version"),
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    production_order = models.ForeignKey(
        "production.ProductionOrder",
        verbose_name=_("production order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
    )
    operation = models.ForeignKey(
        "production.Operation",
        verbose_name=_("operation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
    )
    lot = models.ForeignKey(
        "inventory.Lot",
        verbose_name=_("lot"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
    )
    verdict = models.CharField(_("verdict"), max_length=8, choices=Verdict.choices)
    inspected_at = models.DateTimeField(_("inspected at"), default=timezone.now, db_index=True)
    inspected_by = _user_field(_("inspected by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    notes = models.TextField(_("notes"), blank=True)
    client_ref = models.CharField(
        _("client reference"), max_length=255, unique=True, null=True, blank=True
    )

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-inspected_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verdict__in=["pass", "fail"]), name="inspection_verdict_valid"
            ),
        ]

    def __str__(self) -> str:
        return _("Inspection %(id)s (%(plan)s)") % {
            "id": self.pk,
            "plan": self.plan_version.plan.code,
        }


class InspectionResult(models.Model):
    """The result of one characteristic in one inspection: a subgroup of values or a count."""

    permission_area = "quality"

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.CASCADE, related_name="results"
    )
    characteristic = models.ForeignKey(
        Characteristic,
        verbose_name=_("characteristic"),
        on_delete=models.PROTECT,
        related_name="results",
    )
    # Repeated from the characteristic and the inspection: SPC reads one index.
    item = models.ForeignKey(
        "inventory.Item", verbose_name=_("item"), on_delete=models.PROTECT, related_name="+"
    )
    characteristic_code = models.CharField(_("characteristic"), max_length=64)
    inspected_at = models.DateTimeField(_("inspected at"))
    values = models.JSONField(
        _("measured values"),
        default=list,
        blank=True,
        help_text=_("Measured characteristics: the subgroup's values as decimal strings."),
    )
    sample_size = models.PositiveIntegerField(_("sample size"))
    defectives = models.PositiveIntegerField(_("defective units"), null=True, blank=True)
    defects = models.PositiveIntegerField(_("defects"), null=True, blank=True)
    defect_code = models.ForeignKey(
        "production.ReasonCode",
        verbose_name=_("defect code"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    in_spec = models.BooleanField(_("within specification"))

    class Meta:
        verbose_name = _("inspection result")
        verbose_name_plural = _("inspection results")
        ordering = ["inspection", "characteristic__position"]
        indexes = [models.Index(fields=["item", "characteristic_code", "inspected_at", "id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "characteristic"], name="inspection_result_once"
            ),
            models.CheckConstraint(
                condition=models.Q(sample_size__gte=1), name="inspection_result_sample_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(defectives__isnull=True)
                | models.Q(defectives__lte=models.F("sample_size")),
                name="inspection_result_defectives_within_sample",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id}: {self.characteristic_code}"


class ControlLimits(models.Model):
    """Control limits frozen from a baseline period; the chart uses them until replaced.

    ``centre``/``lcl``/``ucl`` are the location chart's (X̄, I, p, np, c, u);
    ``spread_*`` the dispersion chart's (R, S, MR) where the chart has one.
    """

    permission_area = "quality"

    item = models.ForeignKey(
        "inventory.Item", verbose_name=_("item"), on_delete=models.PROTECT, related_name="+"
    )
    characteristic_code = models.CharField(_("characteristic"), max_length=64)
    chart = models.CharField(_("control chart"), max_length=8, choices=Characteristic.Chart.choices)
    centre = models.FloatField(_("centre line"))
    lcl = models.FloatField(_("lower control limit"), null=True, blank=True)
    ucl = models.FloatField(_("upper control limit"), null=True, blank=True)
    spread_centre = models.FloatField(_("dispersion centre line"), null=True, blank=True)
    spread_lcl = models.FloatField(_("dispersion lower control limit"), null=True, blank=True)
    spread_ucl = models.FloatField(_("dispersion upper control limit"), null=True, blank=True)
    sigma = models.FloatField(_("estimated sigma (within)"), null=True, blank=True)
    baseline_from = models.DateTimeField(_("baseline from"))
    baseline_to = models.DateTimeField(_("baseline to"))
    points = models.PositiveIntegerField(_("points in baseline"))
    is_active = models.BooleanField(_("active"), default=True)
    frozen_at = models.DateTimeField(_("frozen at"), auto_now_add=True)
    frozen_by = _user_field(_("frozen by"))

    class Meta:
        verbose_name = _("frozen control limits")
        verbose_name_plural = _("frozen control limits")
        ordering = ["item__code", "characteristic_code", "-frozen_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "characteristic_code"],
                condition=models.Q(is_active=True),
                name="control_limits_one_active",
            ),
            models.CheckConstraint(
                condition=models.Q(baseline_from__lte=models.F("baseline_to")),
                name="control_limits_baseline_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} / {self.characteristic_code} ({self.chart})"


class QualityAlarm(models.Model):
    """A point that broke a control-chart rule or a specification limit."""

    permission_area = "quality"

    class Kind(models.TextChoices):
        RULE = "rule", _("control chart rule")
        SPEC = "spec", _("specification limit")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    result = models.ForeignKey(
        InspectionResult,
        verbose_name=_("inspection result"),
        on_delete=models.PROTECT,
        related_name="alarms",
    )
    item = models.ForeignKey(
        "inventory.Item", verbose_name=_("item"), on_delete=models.PROTECT, related_name="+"
    )
    characteristic_code = models.CharField(_("characteristic"), max_length=64)
    rule = models.PositiveSmallIntegerField(
        _("rule"), default=0, help_text=_("The rule's number; 0 for a specification limit.")
    )
    message = models.CharField(_("message"), max_length=300)
    raised_at = models.DateTimeField(_("raised at"), auto_now_add=True, db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = _user_field(_("acknowledged by"))

    class Meta:
        verbose_name = _("quality alarm")
        verbose_name_plural = _("quality alarms")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["rule", "spec"]), name="quality_alarm_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "acknowledged"]),
                name="quality_alarm_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="spec", rule=0) | models.Q(kind="rule", rule__gte=1),
                name="quality_alarm_rule_named",
            ),
            # One alarm per result, kind and rule: re-evaluating a chart raises nothing twice.
            models.UniqueConstraint(
                fields=["result", "kind", "rule"],
                name="quality_alarm_once",
            ),
        ]

    def __str__(self) -> str:
        return self.message


# --- nonconformances -------------------------------------------------------------


class Nonconformance(TimeStampedModel):
    """A nonconformance report (NCR): open → investigating → dispositioned → closed."""

    permission_area = "quality"

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        INVESTIGATING = "investigating", _("investigating")
        DISPOSITIONED = "dispositioned", _("dispositioned")
        CLOSED = "closed", _("closed")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.OPEN: frozenset({Status.INVESTIGATING, Status.DISPOSITIONED}),
        Status.INVESTIGATING: frozenset({Status.DISPOSITIONED}),
        Status.DISPOSITIONED: frozenset({Status.CLOSED}),
        Status.CLOSED: frozenset(),
    }

    class Source(models.TextChoices):
        INSPECTION = "inspection", _("inspection")
        LOT = "lot", _("lot")
        OPERATION = "operation", _("operation")
        CUSTOMER_RETURN = "customer_return", _("customer return")

    class Disposition(models.TextChoices):
        REWORK = "rework", _("rework")
        SCRAP = "scrap", _("scrap")
        USE_AS_IS = "use_as_is", _("use as is")
        RETURN_TO_SUPPLIER = "return_to_supplier", _("return to supplier")

    code = CodeField()
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    description = models.TextField(_("description"))
    lot = models.ForeignKey(
        "inventory.Lot",
        verbose_name=_("lot"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nonconformances",
    )
    production_order = models.ForeignKey(
        "production.ProductionOrder",
        verbose_name=_("production order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nonconformances",
    )
    operation = models.ForeignKey(
        "production.Operation",
        verbose_name=_("operation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nonconformances",
    )
    inspection = models.ForeignKey(
        Inspection,
        verbose_name=_("inspection"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nonconformances",
    )
    qty = quantity_field(_("quantity affected"), null=True, blank=True)
    defect_code = models.ForeignKey(
        "production.ReasonCode",
        verbose_name=_("defect code"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    hold_lot = models.BooleanField(
        _("hold the lot"), default=True, help_text=_("While open, the lot cannot be used.")
    )
    investigation = models.TextField(_("investigation (root cause)"), blank=True)
    disposition = models.CharField(
        _("disposition"), max_length=20, choices=Disposition.choices, blank=True
    )
    disposition_note = models.TextField(_("disposition note"), blank=True)
    opened_by = _user_field(_("opened by"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("nonconformance report")
        verbose_name_plural = _("nonconformance reports")
        ordering = ["-created_at", "-id"]
        constraints = [
            code_check("nonconformance"),
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "investigating", "dispositioned", "closed"]),
                name="nonconformance_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    source__in=["inspection", "lot", "operation", "customer_return"]
                ),
                name="nonconformance_source_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    disposition__in=["", "rework", "scrap", "use_as_is", "return_to_supplier"]
                ),
                name="nonconformance_disposition_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "investigating"])
                | ~models.Q(disposition=""),
                name="nonconformance_dispositioned_has_disposition",
            ),
            models.CheckConstraint(
                condition=models.Q(qty__isnull=True) | models.Q(qty__gt=0),
                name="nonconformance_qty_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class NonconformanceEvent(models.Model):
    """The history of an NCR: every step, who, when and why. Append-only."""

    permission_area = "quality"

    nonconformance = models.ForeignKey(
        Nonconformance,
        verbose_name=_("nonconformance report"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True)
    by = _user_field(_("who"))

    class Meta:
        verbose_name = _("nonconformance event")
        verbose_name_plural = _("nonconformance events")
        ordering = ["nonconformance", "at", "id"]

    def __str__(self) -> str:
        return f"{self.nonconformance_id}: {self.from_status} → {self.to_status}"


# --- lot holds -------------------------------------------------------------------


class LotHold(models.Model):
    """A hold on a lot: while any hold is unreleased the lot cannot be allocated,
    picked, shipped or consumed. Releasing one needs ``quality.release_lothold``.
    """

    permission_area = "quality"

    class Source(models.TextChoices):
        MANUAL = "manual", _("by hand")
        INSPECTION = "inspection", _("inspection")
        NONCONFORMANCE = "nonconformance", _("nonconformance report")
        CUSTOMER_RETURN = "customer_return", _("customer return")

    lot = models.ForeignKey(
        "inventory.Lot", verbose_name=_("lot"), on_delete=models.PROTECT, related_name="holds"
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    reason = models.TextField(_("reason"))
    nonconformance = models.ForeignKey(
        Nonconformance,
        verbose_name=_("nonconformance report"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="holds",
    )
    inspection = models.ForeignKey(
        Inspection,
        verbose_name=_("inspection"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="holds",
    )
    placed_at = models.DateTimeField(_("placed at"), auto_now_add=True)
    placed_by = _user_field(_("placed by"))
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = _user_field(_("released by"))
    release_note = models.TextField(_("release note"), blank=True)

    class Meta:
        verbose_name = _("lot hold")
        verbose_name_plural = _("lot holds")
        ordering = ["-placed_at", "-id"]
        permissions = [("release_lothold", _("Can release a lot hold"))]
        indexes = [
            models.Index(
                fields=["lot"],
                condition=models.Q(released_at__isnull=True),
                name="lothold_active_by_lot",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    source__in=["manual", "inspection", "nonconformance", "customer_return"]
                ),
                name="lothold_source_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(released_at__isnull=True) | ~models.Q(release_note=""),
                name="lothold_release_has_note",
            ),
            # An NCR holds a lot once, however often it is re-evaluated.
            models.UniqueConstraint(
                fields=["lot", "nonconformance"],
                condition=models.Q(released_at__isnull=True, nonconformance__isnull=False),
                name="lothold_one_active_per_ncr",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot}: {self.reason[:60]}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None
