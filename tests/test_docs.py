"""The docs say what the code does."""

import re
from pathlib import Path

from mes.roles import AREAS, MATRIX, Role

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_roles_doc_matrix_matches_code():
    text = (DOCS / "roles.md").read_text()
    table = text.split("<!-- matrix:start")[1].split("<!-- matrix:end")[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    documented = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        role = cells[0].strip("`")
        documented[role] = {area: grant for area, grant in zip(AREAS, cells[1:], strict=True)}
    expected = {
        role.value: {area: MATRIX[role].get(area, "") or "–" for area in AREAS} for role in Role
    }
    assert documented == expected


def test_header_lists_areas_in_order():
    header = next(
        line for line in (DOCS / "roles.md").read_text().splitlines() if line.startswith("| role |")
    )
    assert re.findall(r"\| (\w+)", header)[1:] == list(AREAS)
