"""The six kinds of master data that can be imported and exported, and who may do it.

Each kind is a resource (its file layout, see docs/import-export.md) plus the
models whose permissions guard it: importing needs add and change permission
on every one of them, exporting needs view permission.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from import_export.fields import Field

from inventory import services as inventory_services
from inventory.models import Bom, BomLine, Item, UnitOfMeasure
from inventory.selectors import get_active_bom
from orders import services as orders_services
from orders.models import Customer
from production import selectors as production_selectors
from production import services as production_services
from production.models import Area, Machine, Routing, RoutingOperation, WorkCenter

from .resources import GroupedResource, ServiceResource
from .widgets import (
    CodeReferenceWidget,
    LowercaseTextWidget,
    PlainDecimalWidget,
    PositiveIntegerWidget,
    TextWidget,
)


def _text(column: str, widget=None, **kwargs) -> Field:
    return Field(attribute=column, column_name=column, widget=widget or TextWidget(), **kwargs)


def _reference(column: str, model: type[models.Model]) -> Field:
    return Field(attribute=column, column_name=column, widget=CodeReferenceWidget(model))


def _decimal(column: str) -> Field:
    return Field(attribute=column, column_name=column, widget=PlainDecimalWidget())


class CustomerResource(ServiceResource):
    name = _text("name")

    class Meta:
        model = Customer
        fields = ("code", "name")

    def save_through_service(self, instance: Customer) -> Customer:
        return orders_services.upsert_customer(
            actor=self.actor, code=instance.code, name=instance.name
        )[0]


class WorkCenterResource(ServiceResource):
    name = _text("name")
    area = _reference("area", Area)
    optional_columns = ("area",)

    class Meta:
        model = WorkCenter
        fields = ("code", "name", "area")

    def get_queryset(self) -> QuerySet[WorkCenter]:
        return WorkCenter.objects.select_related("area")

    def save_through_service(self, instance: WorkCenter) -> WorkCenter:
        return production_services.upsert_work_center(
            actor=self.actor,
            code=instance.code,
            name=instance.name,
            area=instance.area,
            is_active=instance.is_active,  # not in the file: keep what the record has
        )[0]


class MachineResource(ServiceResource):
    name = _text("name")
    work_center = _reference("work_center", WorkCenter)
    ideal_cycle_time_s = _decimal("ideal_cycle_time_s")

    class Meta:
        model = Machine
        fields = ("code", "name", "work_center", "ideal_cycle_time_s")

    def get_queryset(self) -> QuerySet[Machine]:
        return Machine.objects.select_related("work_center")

    def save_through_service(self, instance: Machine) -> Machine:
        return production_services.upsert_machine(
            actor=self.actor,
            code=instance.code,
            name=instance.name,
            work_center=instance.work_center,
            ideal_cycle_time_s=instance.ideal_cycle_time_s,
            is_active=instance.is_active,
        )[0]


class ItemResource(ServiceResource):
    name = _text("name")
    kind = _text("kind", LowercaseTextWidget())
    uom = _reference("uom", UnitOfMeasure)
    tracking = _text("tracking", LowercaseTextWidget(), default=Item.Tracking.NONE)
    description = _text("description")
    optional_columns = ("tracking", "description")

    class Meta:
        model = Item
        fields = ("code", "name", "kind", "uom", "tracking", "description")

    def get_queryset(self) -> QuerySet[Item]:
        return Item.objects.select_related("uom")

    def save_through_service(self, instance: Item) -> Item:
        return inventory_services.upsert_item(
            actor=self.actor,
            code=instance.code,
            name=instance.name,
            kind=instance.kind,
            uom=instance.uom,
            tracking=instance.tracking,
            description=instance.description,
        )[0]


class BomResource(GroupedResource):
    """One row per component; the rows of one parent item are its new BOM, in file order."""

    parent_item = _reference("parent_item", Item)
    component_item = _reference("component_item", Item)
    qty_per = _decimal("qty_per")
    uom = _reference("uom", UnitOfMeasure)
    group_column = "parent_item"
    optional_columns = ("uom",)
    column_of_service_field = {"item": "component_item"}

    def get_queryset(self) -> QuerySet[BomLine]:
        return (
            BomLine.objects.filter(bom__is_active=True)
            .select_related("parent", "component", "uom")
            .order_by("parent__code", "line")
        )

    def dehydrate_parent_item(self, line: BomLine) -> str:
        return line.parent.code

    def dehydrate_component_item(self, line: BomLine) -> str:
        return line.component.code

    def has_active(self, parent: Item) -> bool:
        return get_active_bom(parent) is not None

    def write_group(self, parent: Item, rows: list) -> bool:
        components = [{"item": r.component_item, "qty_per": r.qty_per, "uom": r.uom} for r in rows]
        _bom, changed = inventory_services.replace_bom(
            parent, actor=self.actor, components=components
        )
        return changed


class RoutingResource(GroupedResource):
    """One row per operation; the rows of one item are its new routing."""

    item = _reference("item", Item)
    seq = Field(attribute="seq", column_name="seq", widget=PositiveIntegerWidget())
    name = _text("name")
    work_center = _reference("work_center", WorkCenter)
    setup_min = _decimal("setup_min")
    cycle_time_s = _decimal("cycle_time_s")
    description = _text("description")
    group_column = "item"
    optional_columns = ("setup_min", "description")

    def get_queryset(self) -> QuerySet[RoutingOperation]:
        return (
            RoutingOperation.objects.filter(routing__is_active=True)
            .select_related("routing__item", "work_center")
            .order_by("routing__item__code", "seq")
        )

    def dehydrate_item(self, operation: RoutingOperation) -> str:
        return operation.routing.item.code

    def has_active(self, parent: Item) -> bool:
        return production_selectors.get_active_routing(parent) is not None

    def write_group(self, parent: Item, rows: list) -> bool:
        operations = []
        for r in rows:
            operation = {
                "seq": r.seq,
                "name": r.name,
                "work_center": r.work_center,
                "cycle_time_s": r.cycle_time_s,
            }
            # Left blank: the service's defaults (no setup time, no description).
            if r.setup_min is not None:
                operation["setup_min"] = r.setup_min
            if r.description:
                operation["description"] = r.description
            operations.append(operation)
        _routing, changed = production_services.replace_routing(
            parent, actor=self.actor, operations=operations
        )
        return changed


@dataclass(frozen=True)
class DataKind:
    key: str
    label: str | Promise
    resource_class: type[ServiceResource] | type[GroupedResource]
    models: tuple[type[models.Model], ...]
    rows: str | Promise  # what one row of the file is, for the page

    @property
    def columns(self) -> list[str]:
        return self.resource_class.columns()

    @property
    def optional_columns(self) -> tuple[str, ...]:
        return self.resource_class.optional_columns

    def _has_perms(self, user, actions: tuple[str, ...]) -> bool:
        return user.has_perms(
            [
                f"{model._meta.app_label}.{action}_{model._meta.model_name}"
                for model in self.models
                for action in actions
            ]
        )

    def can_import(self, user) -> bool:
        return self._has_perms(user, ("add", "change"))

    def can_export(self, user) -> bool:
        return self._has_perms(user, ("view",))

    def resource(self, *, actor=None):
        return self.resource_class(actor=actor)


KINDS: dict[str, DataKind] = {
    kind.key: kind
    for kind in (
        DataKind(
            "items",
            _("Items"),
            ItemResource,
            (Item,),
            _("One row per item. kind: raw, component or product; tracking: none, lot or serial."),
        ),
        DataKind(
            "boms",
            _("Bills of materials"),
            BomResource,
            (Bom, BomLine),
            _(
                "One row per component. The rows of one parent item are its new BOM version, "
                "in file order; items not in the file keep their BOM. uom empty: the "
                "component's own unit."
            ),
        ),
        DataKind(
            "routings",
            _("Routings"),
            RoutingResource,
            (Routing, RoutingOperation),
            _(
                "One row per operation. The rows of one item are its new routing version; "
                "items not in the file keep their routing. setup_min in minutes, "
                "cycle_time_s in seconds per unit."
            ),
        ),
        DataKind(
            "work-centers",
            _("Work centers"),
            WorkCenterResource,
            (WorkCenter,),
            _("One row per work center; area is an area code or empty."),
        ),
        DataKind(
            "machines",
            _("Machines"),
            MachineResource,
            (Machine,),
            _("One row per machine; ideal_cycle_time_s is the fastest time per unit, in seconds."),
        ),
        DataKind(
            "customers", _("Customers"), CustomerResource, (Customer,), _("One row per customer.")
        ),
    )
}
