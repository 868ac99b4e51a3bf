"""The demo plant as an ERP would hold it: the JSON the example ERP client pushes
(docs/examples/erp_client.py). Due dates are days from the day it is pushed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import demo_plant as demo


def _qty(value: Decimal | int) -> str:
    return str(value)


def demo_plant_for_erp() -> dict[str, Any]:
    opening = []
    for data, lot, qty in demo.opening_stock():
        receipt = {"item": data.code, "qty": _qty(qty), "location": demo.OPENING_STOCK_LOCATION}
        opening.append({**receipt, "lot": lot} if lot else receipt)
    return {
        "site_and_areas_in_the_admin": {"site": demo.SITE["code"], "areas": list(demo.AREAS)},
        "uoms": [{"code": c, "name": n, "decimals": d} for c, n, d in demo.UNITS],
        "locations": [{"code": c, "name": n, "kind": k} for c, n, k in demo.LOCATIONS],
        "work_centers": [
            {"code": wc.code, "name": wc.name, "area": wc.area} for wc in demo.WORK_CENTERS
        ],
        "machines": [
            {
                "code": m.code,
                "name": m.name,
                "work_center": m.work_center,
                "ideal_cycle_time_s": _qty(m.ideal_cycle_time_s),
            }
            for m in demo.MACHINES
        ],
        "items": [
            {
                "code": i.code,
                "name": i.name,
                "kind": i.kind,
                "uom": i.uom,
                "tracking": i.tracking,
                "description": i.description,
            }
            for i in demo.ITEMS
        ],
        "boms": [
            {
                "item": parent,
                "components": [
                    {"item": c.item, "qty_per": _qty(c.qty_per), "uom": c.uom} for c in components
                ],
            }
            for parent, components in demo.BOMS.items()
        ],
        "routings": [
            {
                "item": item,
                "operations": [
                    {
                        "seq": op.seq,
                        "name": op.name,
                        "work_center": op.work_center,
                        "setup_min": _qty(op.setup_min),
                        "cycle_time_s": _qty(op.cycle_time_s),
                    }
                    for op in operations
                ],
            }
            for item, operations in demo.ROUTINGS.items()
        ],
        "customers": [{"code": c, "name": n} for c, n in demo.CUSTOMERS.items()],
        "receipts": opening,
        "sales_orders": [
            {
                "code": so.code,
                "customer": so.customer,
                "lines": [
                    {"line": n, "item": item, "qty": _qty(qty), "due_in_days": due}
                    for n, (item, qty, due) in enumerate(so.lines, start=1)
                ],
            }
            for so in demo.SALES_ORDERS
        ],
        "production_orders": [
            {
                "code": po.code,
                "item": po.item,
                "qty": _qty(po.qty),
                "due_in_days": po.due_in_days,
                "priority": po.priority,
                **(
                    {"sales_order": po.sales_order, "sales_order_line": po.sales_order_line}
                    if po.sales_order
                    else {}
                ),
            }
            for po in demo.PRODUCTION_ORDERS
        ],
    }
