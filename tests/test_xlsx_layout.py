"""Workbooks as people lay them out: merged header cells, a two-row header, several
sheets, amounts and dates as Excel stores them. Built with openpyxl, imported into a
real workspace (the real git CLI checks the commit)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils.datetime import from_excel

from tests.clitools import git, load, run, status_clean
from tests.test_xlsx import deal_data


def test_a_two_row_header_under_merged_cells_names_each_column(
    sample_ws: Path, tmp_path: Path
) -> None:
    """``Contact`` merged over three columns with ``Name``/``Email``/``Phone`` below
    reads as ``Contact Name``... ; cells merged down over both rows name their column."""
    book = Workbook()
    ws = book.active
    ws.append(["Company", "Contact", None, None, "Tags"])
    ws.append([None, "Name", "Email", "Phone", None])
    ws.append(
        ["Fjord Freight AS", "Ola Nordmann", "ola@fjord.example.no", "+47 22 55 50 10", "vip"]
    )
    ws.merge_cells("A1:A2")
    ws.merge_cells("B1:D1")
    ws.merge_cells("E1:E2")
    path = tmp_path / "people.xlsx"
    book.save(path)
    result = run("import", "xlsx", path, "--json")
    assert result.code == 0, result.err
    client = load(sample_ws, "clients/fjord-freight-as.yaml")
    assert client["contacts"] == [
        {"name": "Ola Nordmann", "emails": ["ola@fjord.example.no"], "phones": ["+47 22 55 50 10"]}
    ]
    assert client["tags"] == ["vip"]
    assert '"column": "Contact Email"' in result.out
    assert status_clean(sample_ws)


def test_a_header_merged_across_columns_names_them_all(sample_ws: Path, tmp_path: Path) -> None:
    """One row of header: a cell merged over two columns is the name of both (two
    phone columns under one ``Phones``)."""
    book = Workbook()
    ws = book.active
    ws.append(["Company", "Phones", None])
    ws.append(["Harbour Tools Ltd", "+44 20 7946 0100", "+44 20 7946 0101"])
    ws.merge_cells("B1:C1")
    path = tmp_path / "phones.xlsx"
    book.save(path)
    result = run("import", "xlsx", path)
    assert result.code == 0, result.err
    assert load(sample_ws, "clients/harbour-tools-ltd.yaml")["phones"] == [
        "+44 20 7946 0100",
        "+44 20 7946 0101",
    ]


def test_float_noise_under_a_decimal_format_is_the_amount_the_cell_shows(
    sample_ws: Path, tmp_path: Path
) -> None:
    """1234.4999999 in a cell formatted ``#,##0.00`` is shown, and meant, as 1,234.50;
    a real third decimal (1234.567) is kept."""
    book = Workbook()
    ws = book.active
    ws.append(["Title", "Client", "Amount", "Close date"])
    ws.append(["Noisy", "acme-logistics", 1234.4999999, 46402])
    ws.append(["Precise", "acme-logistics", 1234.567, 46403.0])
    for ref in ("C2", "C3"):
        ws[ref].number_format = "#,##0.00"
    ws["D2"].number_format = "dd/mm/yyyy"  # a date serial, as Excel stores dates
    ws["D3"].number_format = "[$-409]mmmm d, yyyy;@"
    path = tmp_path / "amounts.xlsx"
    book.save(path)
    result = run("import", "xlsx", path, "--type", "deals")
    assert result.code == 0, result.err
    assert deal_data(sample_ws, "Noisy")["amount"] == "1234.50"
    assert deal_data(sample_ws, "Precise")["amount"] == "1234.567"
    assert deal_data(sample_ws, "Noisy")["close_date"] == from_excel(46402).date().isoformat()
    assert deal_data(sample_ws, "Precise")["close_date"] == from_excel(46403).date().isoformat()


def test_each_type_is_read_from_its_own_sheet(sample_ws: Path, tmp_path: Path) -> None:
    """A workbook with a sheet per type: --type picks the sheet named for it, or the one
    whose headers are that type's; --sheet still names one."""
    book = Workbook()
    companies = book.active
    companies.title = "Companies"
    companies.append(["Company", "Website"])
    companies.append(["Lumen Optics BV", "lumen.example.nl"])
    deals = book.create_sheet("Pipeline")
    deals.append(["Deal Name", "Company", "Amount"])
    deals.append(["Lumen lab kit", "Lumen Optics BV", 5400])
    path = tmp_path / "crm.xlsx"
    book.save(path)
    first = run("import", "xlsx", path)
    assert first.code == 0, first.err
    second = run("import", "xlsx", path, "--type", "deals")
    assert second.code == 0, second.err
    assert deal_data(sample_ws, "Lumen lab kit")["client"] == "lumen-optics-bv"
    assert git(sample_ws, "log", "-1", "--format=%s").strip() == (
        "import: 1 deal from crm.xlsx (sheet Pipeline)"
    )
