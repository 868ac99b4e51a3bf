"""The shop-floor tablets: terminals bound to a work center (or one machine), and the
operators signed in at each (several at once)."""

__all__ = ["FloorAction", "Terminal", "TerminalSignIn"]

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mes.models import CodeField, TimeStampedModel, code_check

from .plant import Machine, WorkCenter


class Terminal(TimeStampedModel):
    permission_area = "master_data"

    code = CodeField()
    name = models.CharField(_("name"), max_length=200)
    work_center = models.ForeignKey(
        WorkCenter, verbose_name=_("work center"), on_delete=models.PROTECT, related_name="+"
    )
    machine = models.ForeignKey(
        Machine,
        verbose_name=_("machine"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("A tablet at one machine; empty: the whole work center."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("terminal")
        verbose_name_plural = _("terminals")
        ordering = ["code"]
        permissions = [("bind_terminal", _("Can bind a tablet to a terminal"))]
        constraints = [code_check("terminal")]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class TerminalSignIn(models.Model):
    """An operator signed in at a terminal, until signed out (by hand, at the end of the
    shift or after being idle)."""

    permission_area = "execution"

    class Ended(models.TextChoices):
        SIGNED_OUT = "signed_out", _("signed out")
        SHIFT_END = "shift_end", _("end of shift")
        IDLE = "idle", _("idle")

    terminal = models.ForeignKey(
        Terminal, verbose_name=_("terminal"), on_delete=models.CASCADE, related_name="sign_ins"
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_in_at = models.DateTimeField(_("signed in at"))
    last_seen_at = models.DateTimeField(_("last seen at"))
    shift_end = models.DateTimeField(_("shift ends"), null=True, blank=True)
    signed_out_at = models.DateTimeField(_("signed out at"), null=True, blank=True)
    ended = models.CharField(_("ended by"), max_length=16, choices=Ended.choices, blank=True)

    class Meta:
        verbose_name = _("terminal sign-in")
        verbose_name_plural = _("terminal sign-ins")
        ordering = ["-signed_in_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["terminal", "operator"],
                condition=models.Q(signed_out_at__isnull=True),
                name="terminal_sign_in_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.operator} @ {self.terminal_id}"


class FloorAction(models.Model):
    """An action sent from a tablet, by its Idempotency-Key: a tablet that replays its
    offline queue (or a double tap) gets the first outcome again; nothing runs twice."""

    permission_area = "execution"

    class Outcome(models.TextChoices):
        DONE = "done", _("done")
        REFUSED = "refused", _("refused")

    key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    terminal = models.ForeignKey(
        Terminal, verbose_name=_("terminal"), on_delete=models.CASCADE, related_name="+"
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    operation = models.ForeignKey(
        "production.Operation",
        verbose_name=_("operation"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=16)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    message = models.CharField(_("message"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tablet action")
        verbose_name_plural = _("tablet actions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.key} {self.action} {self.outcome}"
