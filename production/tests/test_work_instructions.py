"""Work instructions: versions kept and audited, the one in force on the tablet."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from mes.errors import InvalidInput
from mes.models import AuditEntry
from mes.services import create_person
from production.models import WorkInstructionVersion
from production.shopfloor import services
from production.shopfloor.instructions import add_instruction_version, create_work_instruction

from .execution_factories import operations_of, released_order
from .shopfloor_factories import bound_tablet

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def order():
    return released_order(qty="5", steps=1)


def test_a_new_version_goes_in_force_and_the_old_one_is_kept(order):
    wi = create_work_instruction(
        actor=None, code="WI-1", title="Set the die", item=order.item, operation_seq=10
    )
    first = add_instruction_version(wi, actor=None, text="Torque 40 Nm.", note="first")
    second = add_instruction_version(
        wi, actor=None, document=SimpleUploadedFile("die.pdf", PDF), note="drawing"
    )
    first.refresh_from_db()
    assert (first.version, first.in_force, second.version, second.in_force) == (1, False, 2, True)
    assert second.document.read() == PDF
    assert AuditEntry.objects.filter(model="production.workinstructionversion").count() == 2


@pytest.mark.parametrize(
    ("document", "text"),
    [
        (None, ""),
        (SimpleUploadedFile("a.pdf", PDF), "and text"),
        (SimpleUploadedFile("x.exe", b"MZ"), ""),
    ],
)
def test_a_version_needs_one_document_or_text_of_a_known_kind(order, document, text):
    wi = create_work_instruction(
        actor=None, code="WI-2", title="x", item=order.item, operation_seq=10
    )
    with pytest.raises(InvalidInput):
        add_instruction_version(wi, actor=None, document=document, text=text)
    assert not WorkInstructionVersion.objects.exists()


def test_the_tablet_shows_the_version_in_force(order):
    wi = create_work_instruction(
        actor=None, code="WI-3", title="Check the gauge", item=order.item, operation_seq=10
    )
    add_instruction_version(wi, actor=None, text="Old text")
    current = add_instruction_version(wi, actor=None, document=SimpleUploadedFile("gauge.pdf", PDF))
    op = operations_of(order)[0]
    terminal = services.create_terminal(
        actor=None, code="TAB-W", name="W", work_center=op.work_center
    )
    tablet = bound_tablet(terminal)
    create_person(actor=None, username="op1", role="operator", badge_id="B-1", pin="1234")
    tablet.post(reverse("floor:sign_in"), {"badge": "B-1", "pin": "1234"})
    screen = tablet.get(reverse("floor:operation", args=[op.pk])).content.decode()
    assert "Check the gauge" in screen and "v2" in screen and "Old text" not in screen
    url = reverse("floor:instruction", args=[current.pk])
    assert url in screen
    assert b"".join(tablet.get(url).streaming_content) == PDF
    assert Client().get(url).status_code == 403  # not a bound tablet


def test_a_planner_adds_a_version_in_the_admin(order, make_person):
    wi = create_work_instruction(
        actor=None, code="WI-4", title="Pack", item=order.item, operation_seq=10
    )
    planner = Client()
    planner.force_login(make_person("planner"))
    url = reverse("admin:production_workinstructionversion_add")
    refused = planner.post(url, {"instruction": wi.pk, "text": "", "note": ""})
    assert refused.status_code == 200 and "Give a document or a text" in refused.content.decode()
    added = planner.post(url, {"instruction": wi.pk, "text": "Ten per box.", "note": "v1"})
    assert added.status_code == 302
    assert WorkInstructionVersion.objects.get().text == "Ten per box."
