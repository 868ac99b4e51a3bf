"""The audit trail: what record_create/record_update/record_delete keep, and delete_record."""

from decimal import Decimal

import pytest

from mes import audit
from mes.errors import InvalidInput, ReferencedRecord
from mes.models import AuditEntry
from mes.roles import Role
from mes.services import delete_record, update_record
from orders import services as customer_services
from orders.models import Customer

from .factories import CustomerFactory

pytestmark = pytest.mark.django_db


def customer_trail(customer_pk) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(model="orders.customer", object_id=str(customer_pk)).order_by(
            "id"
        )
    )


def test_record_update_writes_only_the_changed_fields():
    customer = CustomerFactory(code="HMC", name="Hyundai")
    before = audit.snapshot(customer)
    customer.name = "Mobis"

    entry = audit.record_update(None, customer, before)

    assert entry.changes == {"name": ["Hyundai", "Mobis"]}
    assert (entry.action, entry.actor, entry.actor_label) == ("update", None, "system")
    assert entry.object_repr == str(customer)


def test_record_update_writes_nothing_when_nothing_changed():
    customer = CustomerFactory(code="HMC", name="Hyundai")
    assert audit.record_update(None, customer, audit.snapshot(customer)) is None
    assert not AuditEntry.objects.exists()


def test_an_update_service_with_the_same_values_leaves_no_entry(make_person):
    planner = make_person(Role.PLANNER)
    customer = customer_services.create_customer(actor=planner, code="HMC", name="Hyundai")
    update_record(customer, actor=planner, values={"name": "Hyundai"})
    assert [e.action for e in customer_trail(customer.pk)] == ["create"]


def test_the_snapshot_leaves_out_bookkeeping_and_keeps_plain_values():
    customer = CustomerFactory(code="HMC", name="Hyundai")
    assert audit.snapshot(customer) == {"code": "HMC", "name": "Hyundai"}


def test_the_trail_survives_the_deleted_record(make_person):
    planner = make_person(Role.PLANNER)
    customer = customer_services.create_customer(actor=planner, code="HMC", name="Hyundai")
    customer_services.update_customer(customer, actor=planner, name="Mobis")
    pk = customer.pk

    delete_record(customer, actor=planner)

    assert not Customer.objects.filter(pk=pk).exists()
    trail = customer_trail(pk)
    assert [e.action for e in trail] == ["create", "update", "delete"]
    assert trail[0].changes == {"code": [None, "HMC"], "name": [None, "Hyundai"]}
    assert trail[2].changes == {"code": ["HMC", None], "name": ["Mobis", None]}
    assert all(e.actor == planner for e in trail)
    assert trail[2].object_repr == "HMC · Mobis"


def test_a_change_that_fails_validation_leaves_no_entry():
    customer = CustomerFactory(code="HMC", name="Hyundai")
    with pytest.raises(InvalidInput) as refused:
        update_record(customer, actor=None, values={"name": "x" * 201})
    assert "name" in refused.value.errors
    assert not AuditEntry.objects.exists()
    assert Customer.objects.get(pk=customer.pk).name == "Hyundai"


@pytest.fixture
def press_with_machine():
    plant = pytest.importorskip("production.models")
    work_center = plant.WorkCenter.objects.create(code="WC-PRESS", name="Presses")
    machine = plant.Machine.objects.create(
        code="P-01", name="Press 1", work_center=work_center, ideal_cycle_time_s=Decimal("1.5")
    )
    return work_center, machine


def test_deleting_a_referenced_record_is_referenced_record_409(press_with_machine):
    work_center, _machine = press_with_machine

    with pytest.raises(ReferencedRecord) as refused:
        delete_record(work_center, actor=None)

    assert refused.value.status == 409
    assert type(work_center).objects.filter(pk=work_center.pk).exists()
    assert not AuditEntry.objects.filter(action="delete").exists()


def test_a_snapshot_keeps_references_by_code_and_decimals_as_strings(press_with_machine):
    _work_center, machine = press_with_machine
    data = audit.snapshot(machine)
    assert data["work_center"] == "WC-PRESS"
    assert data["ideal_cycle_time_s"] == "1.5"


def test_the_same_decimal_written_with_fewer_places_is_no_change(press_with_machine):
    _work_center, machine = press_with_machine
    stored = type(machine).objects.get(pk=machine.pk)  # reads back as 1.500
    update_record(stored, actor=None, values={"ideal_cycle_time_s": Decimal("1.5")})
    assert not AuditEntry.objects.exists()
    update_record(stored, actor=None, values={"ideal_cycle_time_s": Decimal("1.25")})
    assert AuditEntry.objects.get().changes == {"ideal_cycle_time_s": ["1.500", "1.25"]}


def test_deleting_the_referencing_record_first_then_the_referenced_one_works(press_with_machine):
    work_center, machine = press_with_machine
    delete_record(machine, actor=None)
    delete_record(work_center, actor=None)
    deleted = AuditEntry.objects.filter(action="delete").values_list("model", flat=True)
    assert sorted(deleted) == ["production.machine", "production.workcenter"]
