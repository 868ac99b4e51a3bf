"""Spreadsheet import/export of master data in the admin: preview, confirm, all-or-nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.models import Bom, Item
from inventory.services import set_bom
from inventory.tests.factories import ItemFactory, UnitOfMeasureFactory
from mes.models import AuditEntry
from orders.models import Customer
from production.models import Machine, Routing, WorkCenter
from production.services import set_routing
from production.tests.factories import AreaFactory, MachineFactory, WorkCenterFactory

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-Pass-word"
MACHINES = "code,name,work_center,ideal_cycle_time_s\n"


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def admin_client(client, make_person):
    manager = make_person("plant_manager", password=PASSWORD)
    assert client.login(username=manager.username, password=PASSWORD)
    client.user = manager
    return client


def csv_file(text: str, name: str = "data.csv", bom: bool = False) -> SimpleUploadedFile:
    content = ("\ufeff" if bom else "") + text
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


def xlsx_file(rows: list[list], name: str = "data.xlsx") -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def preview(client, kind: str, upload):
    return client.post(reverse("exchange:import", args=[kind]), {"file": upload})


def confirm(client, kind: str, response):
    upload = response.context["confirm_form"].initial["upload"]
    return client.post(reverse("exchange:confirm", args=[kind]), {"upload": upload})


def record_counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Machine, Customer, Item, WorkCenter, Bom, Routing))


def statuses(response) -> list[str]:
    return [row["status"] for row in response.context["rows"]]


def row_errors(response) -> dict[int, list[tuple[str, str]]]:
    return {row["line"]: row["errors"] for row in response.context["rows"] if row["errors"]}


def test_customers_preview_writes_nothing_and_confirm_writes_through_services(admin_client):
    upload = csv_file("Code,NAME\nHMC,현대모비스\nKIA,기아\n")
    audit_before = AuditEntry.objects.count()

    response = preview(admin_client, "customers", upload)

    assert response.status_code == 200
    assert statuses(response) == ["new", "new"]
    assert response.context["can_confirm"]
    assert not Customer.objects.exists()
    assert AuditEntry.objects.count() == audit_before

    done = confirm(admin_client, "customers", response)

    assert done.status_code == 200 and done.context["done"]
    assert dict(Customer.objects.values_list("code", "name")) == {
        "HMC": "현대모비스",
        "KIA": "기아",
    }
    entries = AuditEntry.objects.filter(model="orders.customer", action="create")
    assert entries.count() == 2
    assert {e.actor_id for e in entries} == {admin_client.user.pk}


def test_existing_and_unchanged_rows_are_reported_as_such(admin_client):
    Customer.objects.create(code="HMC", name="현대모비스")
    Customer.objects.create(code="KIA", name="Kia")

    response = preview(
        admin_client, "customers", csv_file("code,name\nHMC,현대모비스\nKIA,기아\nSSY,쌍용\n")
    )

    assert statuses(response) == ["skip", "update", "new"]
    assert response.context["totals"] == {"new": 1, "update": 1, "unchanged": 1, "error": 0}


def test_machines_from_xlsx_with_decimal_cells(admin_client):
    WorkCenterFactory(code="WC-PRESS")
    upload = xlsx_file(
        [
            ["code", "name", "work_center", "ideal_cycle_time_s"],
            ["PR-01", "프레스 1호기", "WC-PRESS", 12.5],
        ]
    )

    response = preview(admin_client, "machines", upload)
    assert statuses(response) == ["new"]
    confirm(admin_client, "machines", response)

    machine = Machine.objects.get(code="PR-01")
    assert (machine.name, machine.work_center.code) == ("프레스 1호기", "WC-PRESS")
    assert machine.ideal_cycle_time_s == Decimal("12.5")
    assert AuditEntry.objects.filter(model="production.machine", action="create").count() == 1


@pytest.mark.parametrize(
    "kind, text, line, column",
    [
        ("machines", MACHINES + "M1,a,WC-1,10\nM2,b,WC-1,-3\n", 3, "ideal_cycle_time_s"),
        ("machines", MACHINES + "M1,a,WC-1,10\nM2,b,NOPE,3\n", 3, "work_center"),
        ("machines", MACHINES + 'M1,a,WC-1,10\nM2,b,WC-1,"1,5"\n', 3, "ideal_cycle_time_s"),
        ("customers", "code,name\nOK,a\nbad code!,b\n", 3, "code"),
        ("customers", "code,name\nOK,a\nOK,b\n", 3, "code"),
        ("items", "code,name,kind,uom\nP1,a,product,EA\nP2,b,product,BOGUS\n", 3, "uom"),
        ("items", "code,name,kind,uom\nP1,a,product,EA\nP2,b,gadget,EA\n", 3, "kind"),
        ("work-centers", "code,name,area\nW1,a,\nW2,b,NO-AREA\n", 3, "area"),
    ],
)
def test_one_bad_row_is_shown_and_confirm_writes_nothing(admin_client, kind, text, line, column):
    WorkCenterFactory(code="WC-1")
    UnitOfMeasureFactory(code="EA")
    counts = record_counts()
    audit_before = AuditEntry.objects.count()

    response = preview(admin_client, kind, csv_file(text))

    assert response.context["has_problems"] and not response.context["can_confirm"]
    assert b'value="Confirm import" disabled' in response.content
    errors = row_errors(response)
    assert list(errors) == [line]
    assert column in [c for c, _message in errors[line]]
    # Even a forged confirmation of this upload imports nothing.
    forged = confirm(admin_client, kind, response)
    assert forged.context["has_problems"]
    assert record_counts() == counts
    assert AuditEntry.objects.count() == audit_before


def test_missing_and_unknown_columns_are_a_file_error(admin_client):
    response = preview(admin_client, "customers", csv_file("code,nmae\nHMC,x\n"))

    assert response.context["has_problems"]
    [message] = response.context["file_errors"]
    assert "missing columns: name" in message and "unknown columns: nmae" in message
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "upload, message",
    [
        (SimpleUploadedFile("data.txt", b"code,name\n"), "is not a CSV or XLSX file"),
        (SimpleUploadedFile("data.xlsx", b"not a zip"), "could not be read as XLSX"),
        (SimpleUploadedFile("data.csv", "code,name\nA,현대\n".encode("cp949")), "not UTF-8"),
    ],
)
def test_unreadable_files_get_a_readable_message(admin_client, upload, message):
    response = preview(admin_client, "customers", upload)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["file"])
    assert not Customer.objects.exists()


def test_a_file_over_the_size_limit_is_refused(admin_client, monkeypatch):
    monkeypatch.setattr("mes.exchange.forms.MAX_FILE_BYTES", 10)

    response = preview(admin_client, "customers", csv_file("code,name\nHMC,현대모비스\n"))

    assert "at most" in " ".join(response.context["form"].errors["file"])


def test_utf8_csv_with_bom_and_blank_trailing_rows(admin_client):
    response = preview(
        admin_client, "customers", csv_file("code,name\r\nHMC,현대모비스\r\n,\r\n", bom=True)
    )

    assert statuses(response) == ["new"]
    confirm(admin_client, "customers", response)
    assert Customer.objects.get(code="HMC").name == "현대모비스"


def make_items(*codes: str, uom: str = "EA") -> dict[str, Item]:
    unit = UnitOfMeasureFactory(code=uom)
    return {code: ItemFactory(code=code, name=f"부품 {code}", uom=unit) for code in codes}


def test_bom_rows_grouped_by_parent_become_one_version_each(admin_client):
    make_items("CAR", "WHEEL", "BOLT", "DOOR")
    text = "parent_item,component_item,qty_per,uom\nCAR,WHEEL,4,EA\nDOOR,BOLT,6,\nCAR,BOLT,16,EA\n"

    response = preview(admin_client, "boms", csv_file(text))
    assert statuses(response) == ["new", "new", "new"]
    assert not Bom.objects.exists()
    confirm(admin_client, "boms", response)

    car = Bom.objects.get(item__code="CAR", is_active=True)
    assert [(line.component.code, line.qty_per) for line in car.lines.order_by("line")] == [
        ("WHEEL", Decimal("4")),
        ("BOLT", Decimal("16")),
    ]
    assert Bom.objects.filter(item__code="DOOR", is_active=True).count() == 1
    assert AuditEntry.objects.filter(model="inventory.bom", action="create").count() == 2

    again = preview(admin_client, "boms", csv_file(text.replace("DOOR,BOLT,6,", "DOOR,BOLT,8,")))
    assert statuses(again) == ["skip", "update", "skip"]


def test_bom_cycle_is_shown_on_the_group_rows_and_nothing_is_written(admin_client):
    items = make_items("A", "B", "C")
    set_bom(
        items["A"],
        actor=None,
        components=[{"item": items["B"], "qty_per": Decimal(1), "uom": None}],
    )
    audit_before = AuditEntry.objects.count()
    text = "parent_item,component_item,qty_per\nC,B,1\nB,C,2\nB,A,1\n"

    response = preview(admin_client, "boms", csv_file(text))

    errors = row_errors(response)
    assert sorted(errors) == [3, 4]
    cycle = "The BOM would contain its own item: B → "
    assert any(column == "" and cycle in message for column, message in errors[4]), errors
    assert statuses(response)[0] == "new"  # its own group is fine
    forged = confirm(admin_client, "boms", response)
    assert forged.context["has_problems"]
    assert Bom.objects.count() == 1
    assert AuditEntry.objects.count() == audit_before


def test_bom_service_error_is_shown_on_the_row_it_names(admin_client):
    make_items("A", "B", "C")

    response = preview(
        admin_client, "boms", csv_file("parent_item,component_item,qty_per\nA,B,1\nA,C,0\n")
    )

    assert row_errors(response).keys() == {3}
    assert row_errors(response)[3][0][0] == "qty_per"


def test_routing_rows_grouped_by_item(admin_client):
    make_items("CAR")
    WorkCenterFactory(code="WELD")
    WorkCenterFactory(code="PAINT")
    text = (
        "item,seq,name,work_center,setup_min,cycle_time_s,description\n"
        "CAR,10,용접,WELD,15,42.5,\n"
        "CAR,20,도장,PAINT,,60,두 번 칠함\n"
    )

    response = preview(admin_client, "routings", csv_file(text))
    assert statuses(response) == ["new", "new"]
    assert not Routing.objects.exists()
    confirm(admin_client, "routings", response)

    routing = Routing.objects.get(item__code="CAR", is_active=True)
    operations = list(
        routing.operations.order_by("seq").values_list("seq", "name", "setup_min", "description")
    )
    assert operations == [(10, "용접", Decimal("15"), ""), (20, "도장", Decimal("0"), "두 번 칠함")]
    assert AuditEntry.objects.filter(model="production.routing", action="create").count() == 1


def test_routing_negative_cycle_time_is_a_row_error(admin_client):
    make_items("CAR")
    WorkCenterFactory(code="WELD")
    text = "item,seq,name,work_center,cycle_time_s\nCAR,10,a,WELD,5\nCAR,20,b,WELD,-5\n"

    response = preview(admin_client, "routings", csv_file(text))

    assert row_errors(response).keys() == {3}
    assert row_errors(response)[3][0][0] == "cycle_time_s"
    assert not Routing.objects.exists()


def export(client, kind: str, file_format: str):
    response = client.get(reverse("exchange:export", args=[kind, file_format]))
    assert response.status_code == 200
    name = f"{kind}.{file_format}"
    return SimpleUploadedFile(name, response.content)


def make_master_data() -> None:
    items = make_items("CAR", "WHEEL", "BOLT")
    set_bom(
        items["CAR"],
        actor=None,
        components=[
            {"item": items["WHEEL"], "qty_per": Decimal("4"), "uom": None},
            {"item": items["BOLT"], "qty_per": Decimal("0.125"), "uom": None},
        ],
    )
    area = AreaFactory(code="BODY")
    welding = WorkCenterFactory(code="WELD", name="용접 라인", area=area)
    WorkCenterFactory(code="SPARE", name="예비", area=None)
    MachineFactory(
        code="R-01", name="용접 로봇 1", work_center=welding, ideal_cycle_time_s=Decimal("42.125")
    )
    set_routing(
        items["CAR"],
        actor=None,
        operations=[
            {
                "seq": 10,
                "name": "차체 용접",
                "work_center": welding,
                "setup_min": Decimal("7.5"),
                "cycle_time_s": Decimal("42.5"),
            },
        ],
    )
    Customer.objects.create(code="HMC", name="현대모비스")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize(
    "kind", ["items", "boms", "routings", "work-centers", "machines", "customers"]
)
def test_export_imports_back_unchanged(admin_client, kind, file_format):
    make_master_data()
    audit_before = AuditEntry.objects.count()

    response = preview(admin_client, kind, export(admin_client, kind, file_format))

    assert response.context["rows"], response.context["file_errors"]
    assert set(statuses(response)) == {"skip"}, row_errors(response)
    confirm(admin_client, kind, response)
    assert AuditEntry.objects.count() == audit_before


def test_exported_csv_is_utf8_with_bom_and_korean(admin_client):
    make_master_data()

    response = admin_client.get(reverse("exchange:export", args=["machines", "csv"]))

    assert response["Content-Type"] == "text/csv"
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffcode,name,work_center,ideal_cycle_time_s")
    assert "R-01,용접 로봇 1,WELD,42.125" in text


def test_exported_xlsx_keeps_numbers_as_numbers(admin_client):
    make_master_data()

    response = admin_client.get(reverse("exchange:export", args=["machines", "xlsx"]))

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0] == ("code", "name", "work_center", "ideal_cycle_time_s")
    assert rows[1][:3] == ("R-01", "용접 로봇 1", "WELD")
    assert rows[1][3] == pytest.approx(42.125)


def test_changed_korean_name_round_trips_through_xlsx(admin_client):
    make_master_data()
    book = openpyxl.load_workbook(io.BytesIO(export(admin_client, "customers", "xlsx").read()))
    book.active["B2"] = "현대모비스 주식회사"
    buffer = io.BytesIO()
    book.save(buffer)

    response = preview(admin_client, "customers", SimpleUploadedFile("c.xlsx", buffer.getvalue()))
    assert statuses(response) == ["update"]
    confirm(admin_client, "customers", response)

    assert Customer.objects.get(code="HMC").name == "현대모비스 주식회사"
    entry = AuditEntry.objects.get(model="orders.customer", action="update")
    assert entry.changes == {"name": ["현대모비스", "현대모비스 주식회사"]}


def test_a_stale_or_foreign_confirmation_imports_nothing(admin_client):
    first = preview(admin_client, "customers", csv_file("code,name\nA,first\n"))
    preview(admin_client, "customers", csv_file("code,name\nB,second\n"))

    response = confirm(admin_client, "customers", first)

    assert response.status_code == 302
    assert not Customer.objects.exists()


def test_confirm_rechecks_the_file_and_writes_nothing_if_it_now_fails(admin_client):
    WorkCenterFactory(code="WC-1")
    response = preview(admin_client, "machines", csv_file(MACHINES + "M1,a,WC-1,1\nM2,b,WC-2,1\n"))
    assert response.context["has_problems"]
    WorkCenterFactory(code="WC-2")
    preview_ok = preview(
        admin_client, "machines", csv_file(MACHINES + "M1,a,WC-1,1\nM2,b,WC-2,1\n")
    )
    WorkCenter.objects.filter(code="WC-2").delete()

    done = confirm(admin_client, "machines", preview_ok)

    assert done.context["has_problems"] and not done.context["done"]
    assert not Machine.objects.exists()


@pytest.mark.parametrize("role", ["quality_inspector", "supervisor"])
def test_viewers_may_export_but_not_import(client, make_person, role):
    person = make_person(role, password=PASSWORD)
    client.force_login(person)

    assert client.get(reverse("exchange:export", args=["customers", "csv"])).status_code == 200
    assert client.get(reverse("exchange:import", args=["customers"])).status_code == 403
    response = client.post(
        reverse("exchange:import", args=["customers"]), {"file": csv_file("code,name\nX,y\n")}
    )
    assert response.status_code == 403
    assert (
        client.post(
            reverse("exchange:confirm", args=["customers"]), {"upload": "0" * 32}
        ).status_code
        == 403
    )
    index = client.get(reverse("exchange:index"))
    assert index.status_code == 200
    assert not any(entry["can_import"] for entry in index.context["kinds"])
    assert not Customer.objects.exists()


def test_operators_do_not_get_into_the_admin(client, make_person):
    client.force_login(make_person("operator", password=PASSWORD))

    response = client.post(
        reverse("exchange:import", args=["customers"]), {"file": csv_file("code,name\nX,y\n")}
    )

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.get(reverse("exchange:export", args=["customers", "csv"])).status_code == 302
    assert not Customer.objects.exists()


def test_index_lists_the_six_kinds_and_the_admin_home_links_to_it(admin_client):
    page = admin_client.get(reverse("exchange:index"))

    assert [entry["kind"].key for entry in page.context["kinds"]] == [
        "items",
        "boms",
        "routings",
        "work-centers",
        "machines",
        "customers",
    ]
    assert all(entry["can_import"] and entry["can_export"] for entry in page.context["kinds"])
    assert reverse("exchange:index").encode() in admin_client.get(reverse("admin:index")).content


def test_every_error_of_a_row_is_listed(admin_client):
    response = preview(admin_client, "machines", csv_file(MACHINES + "bad code!,,NOPE,-1\n"))

    assert {column for column, _message in row_errors(response)[2]} == {
        "code",
        "name",
        "work_center",
        "ideal_cycle_time_s",
    }


def test_xlsx_with_a_bad_row_imports_nothing(admin_client):
    UnitOfMeasureFactory(code="EA")
    upload = xlsx_file(
        [
            ["CODE", "Name", "Kind", "UOM"],
            ["P-1", "완제품", "Product", "EA"],
            ["P-2", "반제품", "component", "NOPE"],
            [None, None, None, None],
        ]
    )
    audit_before = AuditEntry.objects.count()

    response = preview(admin_client, "items", upload)

    assert statuses(response) == ["new", "invalid"]
    assert [column for column, _message in row_errors(response)[3]] == ["uom"]
    confirm(admin_client, "items", response)
    assert not Item.objects.filter(code__in=["P-1", "P-2"]).exists()
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize("kind", ["items", "boms", "routings", "work-centers", "machines"])
def test_export_reads_each_kind_in_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries, kind
):
    make_master_data()
    wheel = Item.objects.get(code="WHEEL")
    for code, item in make_items("X1", "X2", "X3").items():
        set_bom(item, actor=None, components=[{"item": wheel, "qty_per": 1}])
        MachineFactory(code=f"M-{code}", work_center=WorkCenterFactory(code=f"WC-{code}"))

    with django_assert_max_num_queries(6):  # session, user, permissions, the export
        admin_client.get(reverse("exchange:export", args=[kind, "csv"]))


def test_uploads_never_confirmed_are_purged_after_a_day(settings, tmp_path):
    import os
    import time

    from mes.exchange.services import read_upload, store_upload
    from mes.tasks import purge_stale_uploads_task

    settings.MEDIA_ROOT = tmp_path
    old, fresh = store_upload(b"code,name\n"), store_upload(b"code,name\n")
    two_days_ago = time.time() - 2 * 86400
    os.utime(tmp_path / "django-import-export" / old, (two_days_ago, two_days_ago))
    assert purge_stale_uploads_task.apply().get() == 1
    assert read_upload(fresh) == b"code,name\n"
    assert not (tmp_path / "django-import-export" / old).exists()
