"""The demo plant: 대한정밀 (Daehan Precision), a tier-2 supplier of brake and suspension parts.

Plain data only; ``seeds/management/commands/load_demo.py`` builds it through the
apps' services. Names are demo data (Korean with the English in brackets), not
UI text, so they are not marked for translation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

D = Decimal

SITE = {"code": "HS", "name": "화성 공장 (Hwaseong plant)", "time_zone": "Asia/Seoul"}

# code -> name; every area is in SITE.
AREAS = {
    "HS-PW": "프레스/용접 구역 (Press & welding area)",
    "HS-MA": "가공/조립 구역 (Machining & assembly area)",
}


@dataclass(frozen=True)
class WorkCenterData:
    code: str
    name: str
    area: str


WORK_CENTERS = [
    WorkCenterData("WC-PRESS", "프레스 라인 (Press line)", "HS-PW"),
    WorkCenterData("WC-WELD", "로봇 용접 셀 (Robot welding cell)", "HS-PW"),
    WorkCenterData("WC-PAINT", "전착 도장 라인 (E-coat paint line)", "HS-PW"),
    WorkCenterData("WC-CNC", "CNC 가공 (CNC machining)", "HS-MA"),
    WorkCenterData("WC-ASSY", "조립 라인 (Assembly line)", "HS-MA"),
    WorkCenterData("WC-INSP", "검사 (Inspection)", "HS-MA"),
]


@dataclass(frozen=True)
class MachineData:
    code: str
    name: str
    work_center: str
    ideal_cycle_time_s: Decimal


MACHINES = [
    MachineData("PRS-200-01", "200톤 프레스 1호기 (200 t press #1)", "WC-PRESS", D("2.5")),
    MachineData("PRS-400-02", "400톤 프레스 2호기 (400 t press #2)", "WC-PRESS", D("4")),
    MachineData("PRS-800-03", "800톤 트랜스퍼 프레스 (800 t transfer press)", "WC-PRESS", D("6")),
    MachineData("WLD-R01", "아크 용접 로봇 1호기 (Arc welding robot #1)", "WC-WELD", D("48")),
    MachineData("WLD-R02", "아크 용접 로봇 2호기 (Arc welding robot #2)", "WC-WELD", D("52")),
    MachineData("WLD-S01", "스폿 용접 로봇 (Spot welding robot)", "WC-WELD", D("35")),
    MachineData("PNT-ED01", "전착 도장 설비 (E-coat line)", "WC-PAINT", D("15")),
    MachineData("CNC-MC01", "머시닝센터 1호기 (Machining center #1)", "WC-CNC", D("185")),
    MachineData("CNC-MC02", "머시닝센터 2호기 (Machining center #2)", "WC-CNC", D("210")),
    MachineData("CNC-LT01", "CNC 선반 (CNC lathe)", "WC-CNC", D("95")),
    MachineData("ASM-01", "캘리퍼 조립 스테이션 (Caliper assembly station)", "WC-ASSY", D("42")),
    MachineData("ASM-02", "부싱 압입기 (Bushing press-fit station)", "WC-ASSY", D("24")),
    MachineData("INS-LK01", "리크 테스터 (Leak tester)", "WC-INSP", D("40")),
    MachineData("INS-VS01", "비전 검사기 (Vision inspection)", "WC-INSP", D("8")),
]


@dataclass(frozen=True)
class ItemData:
    code: str
    name: str
    kind: str  # raw, component, product
    uom: str
    tracking: str = "none"
    description: str = ""


RAW, COMPONENT, PRODUCT = "raw", "component", "product"

# The units the demo's items use (code, name, decimal places). A fresh install
# has them from a data migration; the demo makes sure of them all the same.
UNITS = [
    ("EA", "pieces", 0),
    ("KG", "kilograms", 3),
    ("MM", "millimetres", 3),
    ("NM", "newton metres", 2),
]

ITEMS = [
    # raw materials
    ItemData(
        "RM-SPHC-2.3", "열연강판 SPHC 2.3t (Hot-rolled steel sheet SPHC 2.3 mm)", RAW, "KG", "lot"
    ),
    ItemData(
        "RM-SPHC-3.2", "열연강판 SPHC 3.2t (Hot-rolled steel sheet SPHC 3.2 mm)", RAW, "KG", "lot"
    ),
    ItemData(
        "RM-SAPH440-4.0",
        "고장력 강판 코일 SAPH440 4.0t (High-strength steel coil SAPH440 4.0 mm)",
        RAW,
        "KG",
        "lot",
    ),
    ItemData(
        "RM-STKM13A-P34", "기계구조용 강관 STKM13A Ø34 (Steel tube STKM13A Ø34)", RAW, "KG", "lot"
    ),
    ItemData("RM-A356-BILLET", "알루미늄 빌렛 A356 (Aluminium billet A356)", RAW, "KG", "lot"),
    ItemData(
        "RM-FCD450-CAST", "구상흑연주철 주물 FCD450 (Ductile iron casting FCD450)", RAW, "EA", "lot"
    ),
    ItemData("RM-BOLT-M8X20", "육각 볼트 M8x20 (Hex bolt M8x20)", RAW, "EA"),
    ItemData("RM-BOLT-M10X30", "플랜지 볼트 M10x1.25x30 (Flange bolt M10x1.25x30)", RAW, "EA"),
    ItemData("RM-NUT-M12", "나일론 너트 M12 (Nylon lock nut M12)", RAW, "EA"),
    ItemData("RM-BUSH-G", "고무 부싱 G (Rubber bushing G)", RAW, "EA", "lot"),
    ItemData("RM-BUSH-H", "유압 부싱 H (Hydraulic bushing H)", RAW, "EA", "lot"),
    ItemData("RM-BALLJOINT", "볼 조인트 (Ball joint)", RAW, "EA", "lot"),
    ItemData("RM-PISTON-54", "캘리퍼 피스톤 Ø54 (Caliper piston Ø54)", RAW, "EA", "lot"),
    ItemData("RM-SEAL-54", "피스톤 씰 Ø54 (Piston seal Ø54)", RAW, "EA"),
    ItemData("RM-BOOT-54", "더스트 부트 Ø54 (Dust boot Ø54)", RAW, "EA"),
    ItemData("RM-BLEEDER", "블리더 스크류 (Bleeder screw)", RAW, "EA"),
    ItemData("RM-GUIDEPIN", "가이드 핀 (Guide pin)", RAW, "EA"),
    ItemData("RM-PAINT-ED-BK", "전착 도료 흑색 (E-coat paint, black)", RAW, "KG", "lot"),
    ItemData(
        "RM-WIRE-ER70S", "용접 와이어 ER70S-6 Ø1.2 (Welding wire ER70S-6 Ø1.2)", RAW, "KG", "lot"
    ),
    ItemData("RM-GREASE-SI", "실리콘 그리스 (Silicone grease)", RAW, "KG", "lot"),
    # semi-finished
    ItemData(
        "SF-BRKT-UPR", "상부 브래킷 프레스품 (Upper bracket, stamped)", COMPONENT, "EA", "lot"
    ),
    ItemData(
        "SF-BRKT-LWR", "하부 브래킷 프레스품 (Lower bracket, stamped)", COMPONENT, "EA", "lot"
    ),
    ItemData(
        "SF-BRKT-WELD", "마운팅 브래킷 용접품 (Mounting bracket, welded)", COMPONENT, "EA", "lot"
    ),
    ItemData(
        "SF-ARM-PNL-UPR",
        "로어 암 상판 프레스품 (Lower arm upper panel, stamped)",
        COMPONENT,
        "EA",
        "lot",
    ),
    ItemData(
        "SF-ARM-PNL-LWR",
        "로어 암 하판 프레스품 (Lower arm lower panel, stamped)",
        COMPONENT,
        "EA",
        "lot",
    ),
    ItemData("SF-ARM-WELD", "로어 암 용접품 (Lower control arm, welded)", COMPONENT, "EA", "lot"),
    ItemData(
        "SF-ARM-PAINTED", "로어 암 도장품 (Lower control arm, painted)", COMPONENT, "EA", "lot"
    ),
    ItemData(
        "SF-CAL-HSG",
        "브레이크 캘리퍼 하우징 가공품 (Brake caliper housing, machined)",
        COMPONENT,
        "EA",
        "lot",
    ),
    ItemData(
        "SF-CAL-BRKT", "캘리퍼 브래킷 가공품 (Caliper bracket, machined)", COMPONENT, "EA", "lot"
    ),
    ItemData(
        "SF-CAL-HSG-ASSY",
        "캘리퍼 하우징 피스톤 조립품 (Caliper housing with piston and seals)",
        COMPONENT,
        "EA",
        "lot",
    ),
    # finished products, numbered like the customers' part numbers
    ItemData(
        "58180-P2000",
        "프런트 브레이크 캘리퍼 ASSY (Front brake caliper assembly)",
        PRODUCT,
        "EA",
        "serial",
        "고객 도번 58180-P2000, 현대모비스 / HL만도 납품",
    ),
    ItemData(
        "58230-P2000",
        "리어 캘리퍼 브래킷 ASSY (Rear caliper bracket assembly)",
        PRODUCT,
        "EA",
        "lot",
    ),
    ItemData(
        "54500-P2000",
        "프런트 로어 컨트롤 암 ASSY (Front lower control arm assembly)",
        PRODUCT,
        "EA",
        "lot",
        "고객 도번 54500-P2000, 기아 납품",
    ),
    ItemData(
        "62617-P2000", "서브프레임 마운팅 브래킷 (Subframe mounting bracket)", PRODUCT, "EA", "lot"
    ),
    ItemData(
        "55118-P2000", "리어 스프링 시트 브래킷 (Rear spring seat bracket)", PRODUCT, "EA", "lot"
    ),
]


@dataclass(frozen=True)
class ComponentData:
    item: str
    qty_per: Decimal
    uom: str


# Parent item code -> components. Depth: 54500 → SF-ARM-PAINTED → SF-ARM-WELD → SF-ARM-PNL-* → coil.
BOMS = {
    "SF-BRKT-UPR": [ComponentData("RM-SPHC-2.3", D("0.62"), "KG")],
    "SF-BRKT-LWR": [ComponentData("RM-SPHC-3.2", D("0.85"), "KG")],
    "SF-BRKT-WELD": [
        ComponentData("SF-BRKT-UPR", D("1"), "EA"),
        ComponentData("SF-BRKT-LWR", D("1"), "EA"),
        ComponentData("RM-WIRE-ER70S", D("0.018"), "KG"),
    ],
    "SF-ARM-PNL-UPR": [ComponentData("RM-SAPH440-4.0", D("2.4"), "KG")],
    "SF-ARM-PNL-LWR": [ComponentData("RM-SAPH440-4.0", D("2.1"), "KG")],
    "SF-ARM-WELD": [
        ComponentData("SF-ARM-PNL-UPR", D("1"), "EA"),
        ComponentData("SF-ARM-PNL-LWR", D("1"), "EA"),
        ComponentData("RM-STKM13A-P34", D("0.35"), "KG"),
        ComponentData("RM-WIRE-ER70S", D("0.045"), "KG"),
    ],
    "SF-ARM-PAINTED": [
        ComponentData("SF-ARM-WELD", D("1"), "EA"),
        ComponentData("RM-PAINT-ED-BK", D("0.06"), "KG"),
    ],
    "SF-CAL-HSG": [ComponentData("RM-A356-BILLET", D("2.8"), "KG")],
    "SF-CAL-BRKT": [ComponentData("RM-FCD450-CAST", D("1"), "EA")],
    "SF-CAL-HSG-ASSY": [
        ComponentData("SF-CAL-HSG", D("1"), "EA"),
        ComponentData("RM-PISTON-54", D("1"), "EA"),
        ComponentData("RM-SEAL-54", D("1"), "EA"),
        ComponentData("RM-BOOT-54", D("1"), "EA"),
        ComponentData("RM-BLEEDER", D("1"), "EA"),
        ComponentData("RM-GREASE-SI", D("0.002"), "KG"),
    ],
    "58180-P2000": [
        ComponentData("SF-CAL-HSG-ASSY", D("1"), "EA"),
        ComponentData("SF-CAL-BRKT", D("1"), "EA"),
        ComponentData("RM-GUIDEPIN", D("2"), "EA"),
        ComponentData("RM-BOLT-M10X30", D("2"), "EA"),
    ],
    "58230-P2000": [
        ComponentData("SF-CAL-BRKT", D("1"), "EA"),
        ComponentData("RM-GUIDEPIN", D("2"), "EA"),
        ComponentData("RM-GREASE-SI", D("0.001"), "KG"),
    ],
    "54500-P2000": [
        ComponentData("SF-ARM-PAINTED", D("1"), "EA"),
        ComponentData("RM-BUSH-G", D("1"), "EA"),
        ComponentData("RM-BUSH-H", D("1"), "EA"),
        ComponentData("RM-BALLJOINT", D("1"), "EA"),
        ComponentData("RM-NUT-M12", D("1"), "EA"),
    ],
    "62617-P2000": [
        ComponentData("SF-BRKT-WELD", D("1"), "EA"),
        ComponentData("RM-PAINT-ED-BK", D("0.02"), "KG"),
        ComponentData("RM-BOLT-M8X20", D("2"), "EA"),
    ],
    "55118-P2000": [
        ComponentData("SF-BRKT-LWR", D("1"), "EA"),
        ComponentData("RM-PAINT-ED-BK", D("0.015"), "KG"),
    ],
}


@dataclass(frozen=True)
class OperationData:
    seq: int
    name: str
    work_center: str
    setup_min: Decimal
    cycle_time_s: Decimal


def _ops(*rows: tuple[str, str, str, str]) -> list[OperationData]:
    """Operations numbered 10, 20, 30… from (name, work center, setup min, cycle s)."""
    return [
        OperationData((i + 1) * 10, name, wc, D(setup), D(cycle))
        for i, (name, wc, setup, cycle) in enumerate(rows)
    ]


# Item code -> operations; every item made in-house has one (the 2-step stampings too).
ROUTINGS = {
    "SF-BRKT-UPR": _ops(
        ("블랭킹 (Blanking)", "WC-PRESS", "25", "2.5"),
        ("성형·피어싱 (Forming & piercing)", "WC-PRESS", "30", "3"),
    ),
    "SF-BRKT-LWR": _ops(
        ("블랭킹 (Blanking)", "WC-PRESS", "25", "3"),
        ("성형·피어싱 (Forming & piercing)", "WC-PRESS", "30", "4"),
    ),
    "SF-BRKT-WELD": _ops(
        ("브래킷 아크 용접 (Bracket arc welding)", "WC-WELD", "15", "38"),
        ("외관 검사 (Visual inspection)", "WC-INSP", "5", "10"),
    ),
    "SF-ARM-PNL-UPR": _ops(
        ("블랭킹 (Blanking)", "WC-PRESS", "30", "4"),
        ("드로잉 (Drawing)", "WC-PRESS", "40", "5.5"),
        ("트리밍·피어싱 (Trimming & piercing)", "WC-PRESS", "30", "5"),
    ),
    "SF-ARM-PNL-LWR": _ops(
        ("블랭킹 (Blanking)", "WC-PRESS", "30", "4"),
        ("드로잉 (Drawing)", "WC-PRESS", "40", "5.5"),
        ("트리밍·피어싱 (Trimming & piercing)", "WC-PRESS", "30", "5"),
    ),
    "SF-ARM-WELD": _ops(
        ("가접 (Tack welding)", "WC-WELD", "20", "32"),
        ("본용접 (Full arc welding)", "WC-WELD", "20", "55"),
        ("용접 비전 검사 (Weld vision inspection)", "WC-INSP", "10", "8"),
    ),
    "SF-ARM-PAINTED": _ops(
        ("전처리·전착 도장 (Pre-treatment & e-coat)", "WC-PAINT", "45", "15"),
        ("도막 검사 (Coating inspection)", "WC-INSP", "5", "12"),
    ),
    "SF-CAL-HSG": _ops(
        ("1차 가공 보어 (OP10 bore machining)", "WC-CNC", "60", "185"),
        ("2차 가공 포트·탭 (OP20 ports & tapping)", "WC-CNC", "45", "140"),
        ("세척 (Washing)", "WC-ASSY", "10", "30"),
    ),
    "SF-CAL-BRKT": _ops(
        ("선삭 (Turning)", "WC-CNC", "40", "95"),
        ("밀링·드릴 (Milling & drilling)", "WC-CNC", "45", "120"),
    ),
    "SF-CAL-HSG-ASSY": _ops(
        ("씰·피스톤 조립 (Seal & piston assembly)", "WC-ASSY", "15", "40"),
        ("리크 테스트 (Leak test)", "WC-INSP", "10", "40"),
    ),
    "58180-P2000": _ops(
        ("캘리퍼 최종 조립 (Caliper final assembly)", "WC-ASSY", "20", "45"),
        ("리크 테스트 (Leak test)", "WC-INSP", "10", "40"),
        ("출하 검사·포장 (Final inspection & packing)", "WC-INSP", "5", "20"),
    ),
    "58230-P2000": _ops(
        ("가이드 핀 조립 (Guide pin assembly)", "WC-ASSY", "15", "30"),
        ("출하 검사 (Final inspection)", "WC-INSP", "5", "15"),
    ),
    "54500-P2000": _ops(
        ("부싱 압입 (Bushing press-fit)", "WC-ASSY", "20", "24"),
        ("볼 조인트 조립 (Ball joint assembly)", "WC-ASSY", "15", "30"),
        ("출하 검사 (Final inspection)", "WC-INSP", "5", "15"),
    ),
    "62617-P2000": _ops(
        ("전착 도장 (E-coat)", "WC-PAINT", "45", "15"),
        ("출하 검사 (Final inspection)", "WC-INSP", "5", "10"),
    ),
    "55118-P2000": _ops(
        ("전착 도장 (E-coat)", "WC-PAINT", "45", "15"),
        ("출하 검사 (Final inspection)", "WC-INSP", "5", "8"),
    ),
}


@dataclass(frozen=True)
class ShiftData:
    code: str
    name: str
    start: time
    end: time  # at or before the start: ends the next day
    breaks: tuple[tuple[str, time, time], ...]


MON_TO_SAT = (0, 1, 2, 3, 4, 5)  # Monday = 0, as date.weekday()
SHIFT_PATTERN = {"code": "HS-2SHIFT", "name": "주야 2교대 월~토 (Two shifts, Mon–Sat)"}
SHIFTS = [
    ShiftData(
        "DAY",
        "주간 (Day)",
        time(8),
        time(20),
        (
            ("점심 (Lunch)", time(12), time(13)),
            ("휴게 (Break)", time(17), time(17, 30)),
        ),
    ),
    ShiftData(
        "NIGHT",
        "야간 (Night)",
        time(20),
        time(8),
        (
            ("야식 (Night meal)", time(0), time(1)),
            ("휴게 (Break)", time(5), time(5, 30)),
        ),
    ),
]

# Korean public holidays on fixed dates (lunar ones move every year, so are left to the planner).
FIXED_HOLIDAYS = [
    ((1, 1), "신정 (New Year's Day)"),
    ((3, 1), "삼일절 (Independence Movement Day)"),
    ((5, 5), "어린이날 (Children's Day)"),
    ((6, 6), "현충일 (Memorial Day)"),
    ((8, 15), "광복절 (Liberation Day)"),
    ((10, 3), "개천절 (National Foundation Day)"),
    ((10, 9), "한글날 (Hangul Day)"),
    ((12, 25), "성탄절 (Christmas Day)"),
]


def holidays_for(years: list[int]) -> list[tuple[date, str]]:
    return [
        (date(year, month, day), name) for year in years for (month, day), name in FIXED_HOLIDAYS
    ]


@dataclass(frozen=True)
class ReasonData:
    code: str
    name: str
    kind: str  # scrap, downtime, pause
    category: str
    affects_availability: bool | None = None  # downtime only; None: it is a loss


REASONS = [
    ReasonData("SCRAP-DIM", "치수 불량 (Dimension out of tolerance)", "scrap", "machining"),
    ReasonData("SCRAP-BURR", "버 (Burr)", "scrap", "press"),
    ReasonData("SCRAP-CRACK", "크랙 (Crack)", "scrap", "material"),
    ReasonData("SCRAP-PAINT", "도장 불량 (Paint defect)", "scrap", "paint"),
    ReasonData("SCRAP-WELD", "용접 불량 (Weld defect)", "scrap", "welding"),
    ReasonData("SCRAP-LEAK", "리크 불량 (Leak test failed)", "scrap", "assembly"),
    # A die change is setup: unplanned in OEE terms, so it stays an availability loss.
    ReasonData("DT-DIE-CHANGE", "금형 교체 (Die change)", "downtime", "changeover"),
    ReasonData("DT-BREAKDOWN", "설비 고장 (Breakdown)", "downtime", "mechanical"),
    ReasonData("DT-MATERIAL", "자재 대기 (Waiting for material)", "downtime", "material"),
    ReasonData(
        "DT-QUALITY", "품질 판정 대기 (Waiting for a quality decision)", "downtime", "quality"
    ),
    ReasonData("DT-PLANNED", "계획 정지 (Planned stop)", "downtime", "planned", False),
    ReasonData("PAUSE-BREAK", "휴식 (Break)", "pause", "break"),
    ReasonData("PAUSE-MEETING", "회의 (Meeting)", "pause", "meeting"),
]

CUSTOMERS = {
    "MOBIS": "현대모비스 (Hyundai Mobis)",
    "HLMANDO": "HL만도 (HL Mando)",
    "KIA": "기아 (Kia)",
    "HYUNDAI-WIA": "현대위아 (Hyundai WIA)",
}


@dataclass(frozen=True)
class SalesOrderData:
    code: str
    customer: str
    lines: tuple[tuple[str, int, int], ...]  # (item, quantity, due in days from the load)


# Where stock is kept. Production issues from and receives into STOCK (the
# MES_ISSUE_LOCATION / MES_RECEIPT_LOCATION defaults).
LOCATIONS = [
    ("STOCK", "자재·제품 창고 (Main store)", "stock"),
    ("WIP-LINE", "공정 재공 (Line WIP)", "wip"),
    ("QC-HOLD", "격리 구역 (Quarantine)", "quarantine"),
    ("SHIP-DOCK", "출하장 (Shipping dock)", "shipping"),
]
OPENING_STOCK_LOCATION = "STOCK"
# Opening stock of every raw material: enough for the open sales orders. Lot-tracked
# materials arrive as two lots, so first-in-first-out consumption shows in the ledger.
OPENING_LOTS = ("R2610-01", "R2611-01")
OPENING_STOCK_KG = 40_000
OPENING_STOCK_EA = 20_000


def opening_stock() -> list[tuple[ItemData, str | None, Decimal]]:
    """(raw material, lot or None, quantity) received into OPENING_STOCK_LOCATION."""
    receipts = []
    for data in ITEMS:
        if data.kind != RAW:
            continue
        total = OPENING_STOCK_KG if data.uom == "KG" else OPENING_STOCK_EA
        lots = OPENING_LOTS if data.tracking == "lot" else (None,)
        receipts += [(data, lot, Decimal(total) / len(lots)) for lot in lots]
    return receipts


SALES_ORDERS = [
    SalesOrderData("SO-DEMO-0001", "MOBIS", (("58180-P2000", 1200, 14), ("58230-P2000", 800, 21))),
    SalesOrderData("SO-DEMO-0002", "HLMANDO", (("58180-P2000", 600, 18),)),
    SalesOrderData("SO-DEMO-0003", "KIA", (("54500-P2000", 900, 16), ("55118-P2000", 1500, 28))),
    SalesOrderData("SO-DEMO-0004", "HYUNDAI-WIA", (("62617-P2000", 2000, 25),)),
    SalesOrderData("SO-DEMO-0005", "MOBIS", (("54500-P2000", 700, 27),)),
]


@dataclass(frozen=True)
class ProductionOrderData:
    code: str
    item: str
    qty: int
    due_in_days: int
    priority: int = 0
    sales_order: str | None = None
    sales_order_line: int | None = None


# Released orders for the scheduler and the dispatch lists: for sales order lines and
# semi-finished parts made to stock. The lower control arm (54500-P2000) and its parts
# are left to the demand-to-delivery walk-through (tests/demo_flow.py), which plans them.
PRODUCTION_ORDERS = [
    ProductionOrderData("PO-DEMO-0001", "58180-P2000", 1200, 14, 1, "SO-DEMO-0001", 1),
    ProductionOrderData("PO-DEMO-0002", "58230-P2000", 800, 21, 0, "SO-DEMO-0001", 2),
    ProductionOrderData("PO-DEMO-0003", "58180-P2000", 600, 18, 0, "SO-DEMO-0002", 1),
    ProductionOrderData("PO-DEMO-0004", "SF-BRKT-WELD", 900, 9, 0),
    ProductionOrderData("PO-DEMO-0005", "55118-P2000", 1500, 28, 0, "SO-DEMO-0003", 2),
    ProductionOrderData("PO-DEMO-0006", "62617-P2000", 2000, 25, 0, "SO-DEMO-0004", 1),
    ProductionOrderData("PO-DEMO-0007", "SF-CAL-HSG-ASSY", 700, 10, 0),
    ProductionOrderData("PO-DEMO-0008", "SF-CAL-HSG", 300, 6, 2),
    ProductionOrderData("PO-DEMO-0009", "SF-BRKT-LWR", 1000, 4, 1),
    ProductionOrderData("PO-DEMO-0010", "SF-BRKT-WELD", 600, 7, 1),
    ProductionOrderData("PO-DEMO-0011", "SF-BRKT-UPR", 2000, 5, 0),
    # Due yesterday: its lathe broke down (STORY), so it is late.
    ProductionOrderData("PO-DEMO-0012", "SF-CAL-BRKT", 400, -1, 0),
    # Upper brackets for the weld cell, made on the last production day (STORY).
    ProductionOrderData("PO-DEMO-0013", "SF-BRKT-UPR", 1200, 2, 1),
]


@dataclass(frozen=True)
class StoryStep:
    """One thing the shop floor did: ``shift`` is a shift code of the last production day
    before the load (``hours`` into it) or NOW (``hours`` before the load)."""

    shift: str
    hours: float
    order: str
    seq: int
    action: str  # start, report, pause, resume, complete, on (clock on), off (clock off)
    person: str  # the operator doing it
    machine: str = ""  # start: where
    reason: str = ""  # pause: a pause or downtime reason; report: the scrap reason
    good: int = 0
    scrap: int = 0


NOW = "NOW"
# The last production day and this morning, played through the execution services when the
# demo loads (its operations not touched yet): the press made upper brackets in the day
# shift after a die change; the CNC cell bored caliper housings round the clock and turned
# caliper brackets until a wait for a quality decision and the end of the day shift. Now
# the housings' second operation and their washing run, and the lathe has been down for 40
# minutes with a breakdown, so the bracket order, due yesterday, is late. The machines'
# states follow the operations (a downtime pause: down, classified by the supervisor;
# otherwise idle); the other machines' signals are the simulator's.
# Operations of the press line's first machine and of the lower control arm are left to
# the walk-throughs. A shift still running at the load is compressed to end STORY_LEAD
# before it.
STORY = [
    StoryStep("DAY", 0.3, "PO-DEMO-0013", 10, "start", "op1001", machine="PRS-800-03"),
    StoryStep("DAY", 0.4, "PO-DEMO-0013", 10, "pause", "op1001", reason="DT-DIE-CHANGE"),
    StoryStep("DAY", 1.0, "PO-DEMO-0013", 10, "resume", "op1001"),
    StoryStep("DAY", 2.5, "PO-DEMO-0013", 10, "report", "op1001", "", "SCRAP-BURR", 640, 8),
    StoryStep("DAY", 3.5, "PO-DEMO-0013", 10, "report", "op1001", "", "SCRAP-CRACK", 560, 4),
    StoryStep("DAY", 3.6, "PO-DEMO-0013", 10, "complete", "op1001"),
    StoryStep("DAY", 6.0, "PO-DEMO-0013", 20, "start", "op1002", machine="PRS-400-02"),
    StoryStep("DAY", 8.0, "PO-DEMO-0013", 20, "report", "op1002", "", "SCRAP-BURR", 700, 6),
    StoryStep("DAY", 11.0, "PO-DEMO-0013", 20, "report", "op1002", "", "SCRAP-BURR", 480, 2),
    StoryStep("DAY", 11.2, "PO-DEMO-0013", 20, "complete", "op1002"),
    StoryStep("DAY", 0.2, "PO-DEMO-0008", 10, "start", "op1004", machine="CNC-MC01"),
    StoryStep("DAY", 3.9, "PO-DEMO-0008", 10, "report", "op1004", "", "SCRAP-DIM", 62, 2),
    StoryStep("DAY", 8.9, "PO-DEMO-0008", 10, "report", "op1004", "", "SCRAP-DIM", 70, 1),
    StoryStep("DAY", 11.8, "PO-DEMO-0008", 10, "report", "op1004", good=44),
    StoryStep("DAY", 11.9, "PO-DEMO-0008", 10, "off", "op1004"),
    StoryStep("NIGHT", 0.1, "PO-DEMO-0008", 10, "on", "op1005"),
    StoryStep("NIGHT", 3.9, "PO-DEMO-0008", 10, "report", "op1005", "", "SCRAP-CRACK", 66, 1),
    StoryStep("NIGHT", 6.0, "PO-DEMO-0008", 10, "report", "op1005", good=40),
    StoryStep("NIGHT", 6.1, "PO-DEMO-0008", 10, "complete", "op1005"),
    StoryStep("NIGHT", 6.3, "PO-DEMO-0008", 20, "start", "op1005", machine="CNC-MC02"),
    StoryStep("NIGHT", 11.8, "PO-DEMO-0008", 20, "report", "op1005", "", "SCRAP-DIM", 38, 1),
    StoryStep("NIGHT", 11.9, "PO-DEMO-0008", 20, "pause", "op1005", reason="PAUSE-BREAK"),
    StoryStep("NIGHT", 11.9, "PO-DEMO-0008", 20, "off", "op1005"),
    StoryStep(NOW, 1.5, "PO-DEMO-0008", 20, "resume", "op1004"),
    StoryStep(NOW, 1.5, "PO-DEMO-0008", 20, "on", "op1004"),
    StoryStep(NOW, 1.0, "PO-DEMO-0008", 30, "start", "op1002", machine="ASM-02"),
    StoryStep(NOW, 0.3, "PO-DEMO-0008", 30, "report", "op1002", good=20),
    StoryStep("DAY", 0.4, "PO-DEMO-0012", 10, "start", "op1006", machine="CNC-LT01"),
    StoryStep("DAY", 3.8, "PO-DEMO-0012", 10, "report", "op1006", "", "SCRAP-DIM", 110, 3),
    StoryStep("DAY", 5.6, "PO-DEMO-0012", 10, "pause", "op1006", reason="DT-QUALITY"),
    StoryStep("DAY", 6.4, "PO-DEMO-0012", 10, "resume", "op1006"),
    StoryStep("DAY", 8.8, "PO-DEMO-0012", 10, "report", "op1006", good=105),
    StoryStep("DAY", 11.8, "PO-DEMO-0012", 10, "report", "op1006", "", "SCRAP-CRACK", 88, 2),
    StoryStep("DAY", 11.9, "PO-DEMO-0012", 10, "pause", "op1006", reason="PAUSE-BREAK"),
    StoryStep("DAY", 11.9, "PO-DEMO-0012", 10, "off", "op1006"),
    StoryStep(NOW, 2.0, "PO-DEMO-0012", 10, "resume", "op1003"),
    StoryStep(NOW, 2.0, "PO-DEMO-0012", 10, "on", "op1003"),
    StoryStep(NOW, 0.7, "PO-DEMO-0012", 10, "pause", "op1003", reason="DT-BREAKDOWN"),
]
STORY_LEAD_H = 2.5
# Who classifies the downtime the machines sent without a reason.
STORY_SUPERVISOR = "supervisor1"


# A tablet per work center (the weld cell's at its first robot), bound once by a
# supervisor at /floor/setup/.
TERMINALS = [
    ("TAB-PRESS", "프레스 라인 태블릿 (Press line tablet)", "WC-PRESS", None),
    ("TAB-WELD-R01", "용접 로봇 1호기 태블릿 (Welding robot #1 tablet)", "WC-WELD", "WLD-R01"),
    ("TAB-PAINT", "도장 라인 태블릿 (Paint line tablet)", "WC-PAINT", None),
    ("TAB-CNC", "CNC 가공 태블릿 (CNC tablet)", "WC-CNC", None),
    ("TAB-ASSY", "조립 라인 태블릿 (Assembly line tablet)", "WC-ASSY", None),
    ("TAB-INSP", "검사 태블릿 (Inspection tablet)", "WC-INSP", None),
]


@dataclass(frozen=True)
class CharacteristicData:
    code: str
    name: str
    kind: str  # "measure" or "attribute"
    sample_size: int
    uom: str | None = None
    nominal: Decimal | None = None
    lsl: Decimal | None = None
    usl: Decimal | None = None


@dataclass(frozen=True)
class InspectionPlanData:
    code: str
    name: str
    item: str
    operation_seq: int | None
    kind: str
    characteristics: tuple[CharacteristicData, ...]
    every_n_units: int | None = None
    required_to_complete: bool = False
    hold_on_spec_violation: bool = False


# The lower control arm (54500-P2000) is inspected in process at the bushing press-fit and
# finally before shipping; the caliper housing's bore is watched by SPC.
INSPECTION_PLANS = [
    InspectionPlanData(
        "IP-54500-PRESSFIT",
        "부싱 압입 공정 검사 (Bushing press-fit, in-process)",
        "54500-P2000",
        10,
        "in_process",
        (
            CharacteristicData(
                "PRESS-DEPTH",
                "부싱 압입 깊이 (Bushing press-fit depth)",
                "measure",
                5,
                "MM",
                D("12.000"),
                D("11.700"),
                D("12.300"),
            ),
        ),
        every_n_units=100,
        required_to_complete=True,
    ),
    InspectionPlanData(
        "IP-54500-FINAL",
        "로어 암 출하 검사 (Lower arm, final inspection)",
        "54500-P2000",
        30,
        "final",
        (
            CharacteristicData(
                "BJ-TORQUE",
                "볼 조인트 회전 토크 (Ball joint turning torque)",
                "measure",
                1,
                "NM",
                D("2.50"),
                D("1.50"),
                D("3.50"),
            ),
            CharacteristicData("VISUAL", "외관 (Appearance)", "attribute", 1),
        ),
        required_to_complete=True,
        hold_on_spec_violation=True,
    ),
    InspectionPlanData(
        "IP-CALHSG-BORE",
        "캘리퍼 하우징 보어 공정 검사 (Caliper housing bore, in-process)",
        "SF-CAL-HSG",
        10,
        "in_process",
        (
            CharacteristicData(
                "BORE-DIA",
                "실린더 보어 내경 Ø54 (Cylinder bore diameter Ø54)",
                "measure",
                5,
                "MM",
                D("54.015"),
                D("54.000"),
                D("54.030"),
            ),
        ),
        every_n_units=50,
    ),
]


# The caliper housing's bore over the last days: 30 subgroups of 5, steady at first,
# then the tool wears and the diameter creeps up (still in specification) — the
# control chart flags the run before any part is out of tolerance.
SPC_HISTORY_PLAN = "IP-CALHSG-BORE"
SPC_HISTORY_CHARACTERISTIC = "BORE-DIA"


def spc_history() -> list[list[str]]:
    pattern = (-2, 1, 0, 2, -1, 1, -1, 0, 2, -2, 0, 1, -1, 2, -2)
    groups = []
    for index in range(30):
        drift = D("0.0008") * max(0, index - 20)
        groups.append(
            [
                str(D("54.015") + drift + D("0.0015") * pattern[(index * 3 + k) % len(pattern)])
                for k in range(5)
            ]
        )
    return groups


# Machine signals over the last days (production.oee.simulation), one step every five minutes,
# from the last production day's start at the latest; the STORY's machines follow the STORY.
HISTORY_DAYS = 1
HISTORY_STEP_S = 300
HISTORY_SEED = 2026


@dataclass(frozen=True)
class PersonData:
    username: str
    role: str
    last_name: str  # family name first in Korean: 김 (Kim)
    first_name: str
    password: str | None = None
    badge_id: str | None = None
    pin: str | None = None
    language: str = "ko"


# A demo: staff passwords equal their usernames; the command prints them all.
PEOPLE = [
    PersonData("manager", "plant_manager", "김", "영수", password="manager", language=""),
    PersonData("planner", "planner", "이", "지은", password="planner"),
    PersonData(
        "supervisor1",
        "supervisor",
        "박",
        "민호",
        password="supervisor1",
        badge_id="S-2001",
        pin="2001",
    ),
    PersonData(
        "supervisor2",
        "supervisor",
        "최",
        "성진",
        password="supervisor2",
        badge_id="S-2002",
        pin="2002",
    ),
    PersonData("inspector", "quality_inspector", "정", "수빈", password="inspector"),
    PersonData("op1001", "operator", "강", "도윤", badge_id="B-1001", pin="1001"),
    PersonData("op1002", "operator", "조", "하은", badge_id="B-1002", pin="1002"),
    PersonData("op1003", "operator", "윤", "재현", badge_id="B-1003", pin="1003"),
    PersonData("op1004", "operator", "장", "서연", badge_id="B-1004", pin="1004"),
    PersonData("op1005", "operator", "임", "준우", badge_id="B-1005", pin="1005"),
    PersonData("op1006", "operator", "한", "민지", badge_id="B-1006", pin="1006"),
]
