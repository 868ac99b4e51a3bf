"""Work instructions (document control): versioned documents — a PDF, an image or text —
attached to an item's operation by its sequence, so they hold across routing versions.
Every version is kept; one is in force."""

__all__ = ["WorkInstruction", "WorkInstructionVersion"]

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mes.models import CodeField, TimeStampedModel, code_check


class WorkInstruction(TimeStampedModel):
    permission_area = "master_data"

    code = CodeField()
    title = models.CharField(_("title"), max_length=200)
    item = models.ForeignKey(
        "inventory.Item", verbose_name=_("item"), on_delete=models.PROTECT, related_name="+"
    )
    operation_seq = models.PositiveIntegerField(
        _("operation"), help_text=_("The sequence of the routing operation it explains.")
    )

    class Meta:
        verbose_name = _("work instruction")
        verbose_name_plural = _("work instructions")
        ordering = ["code"]
        constraints = [code_check("workinstruction")]

    def __str__(self) -> str:
        return f"{self.code} · {self.title}"


class WorkInstructionVersion(models.Model):
    permission_area = "master_data"

    instruction = models.ForeignKey(
        WorkInstruction,
        verbose_name=_("work instruction"),
        on_delete=models.PROTECT,
        related_name="versions",
    )
    version = models.PositiveIntegerField(_("version"))
    document = models.FileField(
        _("document"), upload_to="instructions/%Y/", blank=True, help_text=_("PDF or image.")
    )
    text = models.TextField(_("text"), blank=True)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    in_force = models.BooleanField(_("in force"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("work instruction version")
        verbose_name_plural = _("work instruction versions")
        ordering = ["instruction", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["instruction", "version"], name="work_instruction_version_unique"
            ),
            models.UniqueConstraint(
                fields=["instruction"],
                condition=models.Q(in_force=True),
                name="work_instruction_one_in_force",
            ),
            models.CheckConstraint(
                condition=~models.Q(document="", text=""),
                name="work_instruction_version_has_content",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instruction.code} v{self.version}"

    @property
    def is_image(self) -> bool:
        return self.document.name.lower().rsplit(".", 1)[-1] in {"png", "jpg", "jpeg", "webp"}
