"""Work instructions: create one, add a version (the new one in force, the old kept)."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from inventory.models import Item
from mes import audit
from mes.errors import InvalidInput
from mes.services import create_record, update_record

from ..models import Operation, WorkInstruction, WorkInstructionVersion

DOCUMENT_TYPES = {"pdf", "png", "jpg", "jpeg", "webp"}
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


def create_work_instruction(
    *, actor, code: str, title: str, item: Item, operation_seq: int
) -> WorkInstruction:
    return create_record(
        WorkInstruction,
        actor=actor,
        values={"code": code, "title": title, "item": item, "operation_seq": operation_seq},
    )


def update_work_instruction(instruction: WorkInstruction, *, actor, **values) -> WorkInstruction:
    return update_record(instruction, actor=actor, values=values)


def add_instruction_version(
    instruction: WorkInstruction,
    *,
    actor,
    document: UploadedFile | None = None,
    text: str = "",
    note: str = "",
) -> WorkInstructionVersion:
    """A new version in force (a PDF or image of at most 20 MB, or text); the one before
    stays, no longer in force."""
    check_content(document, text)
    with transaction.atomic():
        locked = WorkInstruction.objects.select_for_update().get(pk=instruction.pk)
        last = locked.versions.aggregate(last=Max("version"))["last"] or 0
        locked.versions.filter(in_force=True).update(in_force=False)
        version = WorkInstructionVersion(
            instruction=locked,
            version=last + 1,
            text=text.strip(),
            note=note,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        if document is not None:
            version.document.save(document.name, document, save=False)
        version.save()
        audit.record_create(actor, version)
    return version


def check_content(document: UploadedFile | None, text: str) -> None:
    """A version holds a document (PDF or image, at most 20 MB) or a text, not both."""
    if (document is None) == (not text.strip()):
        raise InvalidInput(_("Give a document or a text (one of them)."), field="document")
    if document is not None:
        kind = document.name.lower().rsplit(".", 1)[-1]
        if kind not in DOCUMENT_TYPES:
            raise InvalidInput(
                _("A document is a PDF or an image (PNG, JPEG, WebP)."), field="document"
            )
        if document.size > MAX_DOCUMENT_BYTES:
            raise InvalidInput(_("A document is at most 20 MB."), field="document")


def instructions_in_force(operation: Operation) -> list[WorkInstructionVersion]:
    """The versions in force of the instructions for the operation's item and sequence."""
    return list(
        WorkInstructionVersion.objects.filter(
            in_force=True,
            instruction__item_id=operation.order.item_id,
            instruction__operation_seq=operation.seq,
        )
        .select_related("instruction")
        .order_by("instruction__code")
    )
