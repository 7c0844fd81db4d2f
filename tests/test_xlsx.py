"""``tcrm import xlsx`` and ``tcrm export xlsx``: real workbooks written and read with
openpyxl, a real workspace, the real git CLI."""

from __future__ import annotations

import json
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from tests.clitools import (
    assert_refused,
    commit_count,
    git,
    run,
    snapshot,
    status_clean,
)
from tests.test_export import KINDS, SINGULAR, fresh_workspace, records


def workbook(path: Path, rows: list[list[object]], *, title: str = "Sheet1") -> Path:
    book = Workbook()
    ws = book.active
    ws.title = title
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def with_cached_values(path: Path, values: dict[str, str]) -> Path:
    """Store a saved result for formula cells, as Excel does on save (``<v>20</v>``
    after the ``<f>``); openpyxl writes formulas with an empty ``<v />``."""
    with zipfile.ZipFile(path) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode("utf-8")
    for ref, value in values.items():
        start = sheet.index(f'<c r="{ref}"')
        end = sheet.index("</c>", start)
        formula = sheet[start:end]
        assert "<v />" in formula
        saved = formula.replace("<v />", f"<v>{value}</v>")
        if not value.replace(".", "").isdigit():  # a text result: Excel marks it t="str"
            saved = saved.replace(f'<c r="{ref}"', f'<c r="{ref}" t="str"', 1)
        sheet = sheet[:start] + saved + sheet[end:]
    parts["xl/worksheets/sheet1.xml"] = sheet.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    return path


def deal_data(root: Path, title: str) -> dict[str, object]:
    found = [r for r in records(root, "deal").values() if r["title"] == title]
    assert len(found) == 1, title
    return found[0]


# --- round trip --------------------------------------------------------------------------


def test_must_show_xlsx_export_then_import_round_trips_all_four_record_types(
    sample_ws: Path, tmp_path: Path
) -> None:
    files = {}
    for kind in KINDS:
        path = tmp_path / f"{kind}.xlsx"
        result = run("export", "xlsx", "--type", kind, "-o", path)
        assert result.code == 0, result.err
        files[kind] = path
    fresh = fresh_workspace(tmp_path)
    for kind in KINDS:  # clients first: deals, tasks and activities point at them
        result = run("-w", fresh, "import", "xlsx", files[kind], "--type", kind, "--json")
        assert result.code == 0, result.err
        count = len(json.loads(result.out)["created"])
        assert count > 0
        assert git(fresh, "log", "-1", "--format=%s").strip() == (
            f"import: {count} {kind if count != 1 else SINGULAR[kind]} from "
            f"{kind}.xlsx (sheet {kind})"
        )
        assert status_clean(fresh)
    for kind in KINDS:
        original, copy = records(sample_ws, SINGULAR[kind]), records(fresh, SINGULAR[kind])
        assert copy == original, kind
    # Byte for byte: 7200.00 stays 7200.00, 74000 stays 74000.
    for kind in KINDS:
        for path in sorted((sample_ws / kind).rglob("*.yaml")):
            rel = path.relative_to(sample_ws)
            assert (fresh / rel).read_bytes() == path.read_bytes(), rel


def test_export_types_cells_freezes_the_header_and_never_writes_a_formula(
    sample_ws: Path, tmp_path: Path
) -> None:
    name = '=HYPERLINK("http://x","y")'
    added = run("client", "add", name, "--force", "--tag", "vip")
    assert added.code == 0, added.err
    for kind in ("clients", "deals"):
        out = tmp_path / f"{kind}.xlsx"
        before, commits = snapshot(sample_ws), commit_count(sample_ws)
        result = run("export", "xlsx", "--type", kind, "-o", out)
        assert result.code == 0, result.err
        assert snapshot(sample_ws) == before and commit_count(sample_ws) == commits
        with zipfile.ZipFile(out) as z:  # no formula anywhere in the file
            assert all(b"<f>" not in z.read(n) and b"<f " not in z.read(n) for n in z.namelist())
        ws = load_workbook(out).active
        assert ws.freeze_panes == "A2"
        cells = [c for row in ws.iter_rows() for c in row]
        assert not [c.coordinate for c in cells if c.data_type == "f"]
        header = [c.value for c in next(ws.iter_rows(max_row=1))]
        csv_header = run("export", "csv", "--type", kind).out.splitlines()[0].split(",")
        assert header == csv_header  # the CSV export's columns
        rows = {r[0]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(2, values_only=True)}
        if kind == "clients":
            assert rows[added.out.strip()]["name"] == name  # text, as it was
        else:
            deal = rows["acme-logistics-driver-onboarding-app"]
            assert deal["amount"] == 74000 and deal["close_date"] == datetime(2026, 12, 23)
            assert isinstance(deal["created"], str)  # a date-time keeps its offset: text
            assert deal["tags"] == "app; enterprise"
            fmt = {c.value: c.number_format for c in ws[2] if isinstance(c.value, int | float)}
            assert fmt[74000] == "#,##0"


# --- import: Excel's own cell types ------------------------------------------------------


def test_must_show_dates_and_amounts_as_excel_stores_them(sample_ws: Path, tmp_path: Path) -> None:
    book = workbook(
        tmp_path / "deals.xlsx",
        [
            ["Title", "Client", "Amount", "Close date"],
            ["Float half", "acme-logistics", 1234.5, datetime(2027, 1, 15)],
            ["Float cents", "acme-logistics", 19.99, date(2027, 2, 1)],
            ["Whole", "acme-logistics", 120000, "2027-03-31"],
            ["Sum of floats", "acme-logistics", "=0.1+0.2", None],
            ["Float noise", "acme-logistics", "=1234.5-0", None],
        ],
    )
    # what Excel saves for these formulas: the double's full 17 digits
    with_cached_values(book, {"C5": "0.30000000000000004", "C6": "1234.4999999999998"})
    result = run("import", "xlsx", book, "--type", "deals")
    assert result.code == 0, result.err
    assert deal_data(sample_ws, "Float half")["amount"] == "1234.5"
    assert deal_data(sample_ws, "Float half")["close_date"] == "2027-01-15"
    assert deal_data(sample_ws, "Float cents")["amount"] == "19.99"
    assert deal_data(sample_ws, "Float cents")["close_date"] == "2027-02-01"
    assert deal_data(sample_ws, "Whole")["amount"] == "120000"
    assert deal_data(sample_ws, "Whole")["close_date"] == "2027-03-31"
    # Excel shows 15 significant digits: the double's noise beyond them is not an amount
    assert deal_data(sample_ws, "Sum of floats")["amount"] == "0.3"
    assert deal_data(sample_ws, "Float noise")["amount"] == "1234.5"
    assert status_clean(sample_ws)


def test_a_two_decimal_number_format_keeps_the_cents(sample_ws: Path, tmp_path: Path) -> None:
    path = tmp_path / "deals.xlsx"
    book = Workbook()
    ws = book.active
    ws.append(["Title", "Client", "Amount"])
    ws.append(["Formatted", "acme-logistics", 7200])
    ws["C2"].number_format = "#,##0.00"
    book.save(path)
    result = run("import", "xlsx", path, "--type", "deals")
    assert result.code == 0, result.err
    assert deal_data(sample_ws, "Formatted")["amount"] == "7200.00"


def test_must_show_a_formula_column_is_read_as_its_saved_value(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = workbook(
        tmp_path / "deals.xlsx",
        [
            ["Title", "Client", "Seats", "Per seat", "Amount"],
            ["Formula deal", "acme-logistics", 3, 411.5, "=C2*D2"],
            ['="Formula "&"text"', "acme-logistics", 1, 10, 10],
        ],
    )
    with_cached_values(path, {"E2": "1234.5", "A3": "Formula text"})
    result = run("import", "xlsx", path, "--type", "deals")
    assert result.code == 0, result.err
    assert deal_data(sample_ws, "Formula deal")["amount"] == "1234.5"
    assert deal_data(sample_ws, "Formula text")["amount"] == "10"
    assert status_clean(sample_ws)


def test_a_formula_with_no_saved_value_is_refused_naming_its_cell(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = workbook(
        tmp_path / "deals.xlsx",
        [
            ["Title", "Client", "Seats", "Per seat", "Amount"],
            ["Fine", "acme-logistics", 1, 10, 10],
            ["Never computed", "acme-logistics", 3, 411.5, "=C3*D3"],
        ],
    )
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "xlsx", path, "--type", "deals")
    assert_refused(sample_ws, result, before, commits)
    assert "cell E3 of Sheet1 is a formula with no saved value" in result.err


# --- sheets and bad files ----------------------------------------------------------------


def test_sheet_chooses_the_sheet_and_an_unknown_one_is_refused(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = tmp_path / "book.xlsx"
    book = Workbook()
    book.active.title = "Notes"
    book.active.append(["Whatever"])
    book.active.append(["not a client list"])
    people = book.create_sheet("Clients")
    people.append(["Company", "Email"])
    people.append(["Zeta Sheet GmbH", "info@zeta.example"])
    book.save(path)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    missing = run("import", "xlsx", path, "--sheet", "Kunden")
    assert_refused(sample_ws, missing, before, commits)
    assert "book.xlsx has no sheet 'Kunden'; its sheets: Notes, Clients" in missing.err
    result = run("import", "xlsx", path, "--sheet", "Clients", "--json")
    assert result.code == 0, result.err
    assert [c["name"] for c in json.loads(result.out)["created"]] == ["Zeta Sheet GmbH"]


@pytest.mark.parametrize(
    "data", [b"name,email\nAcme,a@b.example\n", b"PK\x03\x04not really a zip", b""]
)
def test_a_file_that_is_not_a_workbook_is_refused_in_one_line(
    sample_ws: Path, tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "clients.xlsx"
    path.write_bytes(data)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "xlsx", path)
    assert_refused(sample_ws, result, before, commits)
    assert "clients.xlsx is not a readable Excel workbook" in result.err


def test_invalid_rows_name_their_excel_row(sample_ws: Path, tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "deals.xlsx",
        [
            ["Title", "Client", "Amount"],
            ["Good", "acme-logistics", 5],
            [None, None, None],
            ["Bad", "no-such-client", 7],
        ],
    )
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "xlsx", path, "--type", "deals")
    assert result.code != 0
    assert "row 4" in result.err and "no-such-client" in result.err
    assert snapshot(sample_ws) == before and commit_count(sample_ws) == commits


def test_skip_invalid_imports_the_rest_and_writes_the_refused_rows_beside_the_workbook(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = workbook(
        tmp_path / "deals.xlsx",
        [
            ["Title", "Client", "Amount", "Close date"],
            ["Kept", "acme-logistics", 5.25, datetime(2027, 5, 1)],
            ["Refused", "no-such-client", 7, datetime(2027, 5, 2)],
        ],
    )
    result = run("import", "xlsx", path, "--type", "deals", "--skip-invalid")
    assert result.code == 0, result.err
    assert deal_data(sample_ws, "Kept")["amount"] == "5.25"
    rejected = (tmp_path / "deals.rejected.csv").read_text(encoding="utf-8").splitlines()
    assert rejected[0] == "Title,Client,Amount,Close date,error"
    assert rejected[1].startswith("Refused,no-such-client,7,2027-05-02,")
    assert len(rejected) == 2
    assert status_clean(sample_ws)
