"""Excel workbooks (.xlsx) with openpyxl: a reader for ``tcrm import xlsx`` and the
writer of ``tcrm export xlsx``.

The reader only turns cells into the text the CSV path already parses (ISO dates,
plain decimal numbers), so an xlsx import runs the one import pipeline. It streams
(read-only mode) and reads each formula's value as the workbook last saved it; a formula
with no saved value is refused, naming its cell, never read as an empty cell.

The writer types what a spreadsheet should compute with (dates, amounts, whole numbers)
and writes every other cell as a string cell, so no cell can ever be a formula.
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from tcrm.errors import UsageError
from tcrm.services.bulk import PLURAL
from tcrm.services.exports import ExportData, cell
from tcrm.services.imports import Source, SourceRow

MAX_CELL = 32767
"""The most characters an Excel cell holds."""


def _load(path: Path, *, data_only: bool) -> Any:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return load_workbook(path, read_only=True, data_only=data_only)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, ParseError) as exc:
        raise UsageError(f"{path.name} is not a readable Excel workbook (.xlsx): {exc}") from None
    except Exception as exc:  # defusedxml refusals and other malformed XML
        raise UsageError(
            f"{path.name} is not a readable Excel workbook (.xlsx): {type(exc).__name__}: {exc}"
        ) from None


def read_sheet(path: Path, sheet: str | None = None) -> Source:
    """The rows of one sheet (the first, or ``sheet``) as a ``Source`` of text cells.

    Row 1 is the header; rows are numbered as Excel shows them; wholly empty rows are
    skipped. A formula cell is read as its saved value; one with no saved value is
    refused ("cell C7 of Sheet1 is a formula with no saved value")."""
    values_book = _load(path, data_only=True)
    formulas_book = None
    try:
        names = values_book.sheetnames
        name = sheet if sheet is not None else names[0]
        if name not in names:
            raise UsageError(f"{path.name} has no sheet {sheet!r}; its sheets: {', '.join(names)}")
        values_ws = values_book[name]
        values_ws.reset_dimensions()  # some writers store a wrong dimension: read all rows
        formulas_ws = None
        if _has_formulas(values_book, values_ws):  # a second pass only for formulas
            formulas_book = _load(path, data_only=False)
            formulas_ws = formulas_book[name]
            formulas_ws.reset_dimensions()
        return _source(path, name, values_ws, formulas_ws)
    except (zipfile.BadZipFile, KeyError, ValueError, ParseError) as exc:
        raise UsageError(f"{path.name} is not a readable Excel workbook (.xlsx): {exc}") from None
    finally:
        values_book.close()
        if formulas_book is not None:
            formulas_book.close()


_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
_CHUNK = 1 << 20


def _has_formulas(book: Any, ws: Any) -> bool:
    """Whether the sheet's XML holds a formula element (``<f>``, any prefix): a byte
    scan, far cheaper than parsing the sheet a second time."""
    tail = b""
    with book._archive.open(ws._worksheet_path) as part:
        while chunk := part.read(_CHUNK):
            if _FORMULA_TAG.search(tail + chunk):
                return True
            tail = chunk[-64:]
    return False


def _source(path: Path, sheet: str, values_ws: Any, formulas_ws: Any) -> Source:
    source: Source | None = None
    width = 0
    formula_rows = (
        formulas_ws.iter_rows(values_only=True) if formulas_ws is not None else itertools.repeat(())
    )
    rows = zip(values_ws.iter_rows(values_only=False), formula_rows, strict=False)
    for number, (cells, formulas) in enumerate(rows, 1):
        texts = []
        for column, (c, formula) in enumerate(itertools.zip_longest(cells, formulas), 1):
            if c is None:
                break
            if c.value is None and isinstance(formula, str) and formula.startswith("="):
                raise UsageError(
                    f"{path.name}: cell {_ref(column, number)} of {sheet} is a formula with no "
                    "saved value; open the workbook in Excel or LibreOffice and save it, so "
                    "it holds the results"
                )
            texts.append(_text(c.value, getattr(c, "number_format", "General")))
        if source is None:
            if not any(t.strip() for t in texts):
                raise UsageError(
                    f"{path.name}: row 1 of {sheet} is empty; the first row must name the columns"
                )
            while texts and not texts[-1].strip():
                texts.pop()
            headers = [t.strip() or f"column {i + 1}" for i, t in enumerate(texts)]
            source = Source(f"{path.name} (sheet {sheet})", headers, [])
            width = len(headers)
            continue
        if not "".join(texts).strip():
            continue
        if len(texts) > width and "".join(texts[width:]).strip():
            source.problems.append(
                (number, f"has cells beyond the {width} columns the header names")
            )
        values = texts[:width] + [""] * (width - len(texts))
        source.rows.append(SourceRow(number, values))
    if source is None:
        raise UsageError(f"{path.name}: {sheet} is empty; the first row must name the columns")
    return source


def _ref(column: int, row: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(column)}{row}"


EXCEL_DIGITS = 15
"""Significant digits Excel computes with and shows; a double's 16th and 17th are noise."""
_DECIMALS = re.compile(r"\.(0+)")


def _text(value: Any, number_format: str) -> str:
    """A cell's value as the CSV path reads it: dates in ISO form, numbers exact."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, int | float):
        return _number(value, number_format)
    return str(value)


def _number(value: int | float, number_format: str) -> str:
    """Exact decimal text: ``1234.5`` stays ``1234.5`` (``Decimal(repr(x))``, never the
    binary float's ``1234.49999...``), a formula's ``0.30000000000000004`` is ``0.3``
    (Excel's 15 significant digits); a format showing n decimals (``#,##0.00``) gives
    n decimals when that changes no digit (``7200`` as ``7200.00``)."""
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, float) and len(exact.as_tuple().digits) > EXCEL_DIGITS:
        # 0.30000000000000004 from =0.1+0.2: Excel keeps and shows 15 significant digits
        exact = round(exact, EXCEL_DIGITS - 1 - exact.adjusted()).normalize()
    if exact == exact.to_integral_value():
        exact = exact.quantize(Decimal(1))
    shown = _DECIMALS.search(number_format.split(";")[0]) if number_format else None
    if shown:
        places = Decimal(1).scaleb(-len(shown.group(1)))
        if exact.quantize(places) == exact:
            exact = exact.quantize(places)
    return format(exact, "f")


# --- export ------------------------------------------------------------------------------


def encode_export(data: ExportData) -> bytes:
    """``tcrm export xlsx``: the CSV export's columns on one sheet, header row frozen.

    Dates are Excel dates; amounts and whole numbers are numbers (an amount a double
    cannot hold exactly, beyond 15 significant digits, is written as text instead, so no
    digit changes); date-times stay ISO text with their offset (Excel has no time
    zones); everything else is a string cell: its type is set, so a text starting with
    ``=`` is never a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell as Cell

    book = Workbook(write_only=True)
    ws = book.create_sheet(PLURAL[data.kind])
    ws.freeze_panes = "A2"
    columns = data.columns()
    ws.append([_string(ws, Cell, name) for name in columns])

    for record in data.records:
        plain = {"id": record.id, **record.to_data()}
        row = []
        for column in columns:
            value = getattr(record, column, None) if column in type(record).model_fields else None
            c = _typed(ws, Cell, value, plain.get(column))
            if c.data_type == "s" and len(c._value) > MAX_CELL:
                raise UsageError(
                    f"{record.id}: {column} has {len(c._value):,} characters, more than an "
                    f"Excel cell holds ({MAX_CELL:,}); export it as CSV or JSON instead"
                )
            row.append(c)
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _string(ws: Any, cell_type: Any, text: str) -> Any:
    """A string cell by construction: the value is set without openpyxl's guess, which
    would make ``=HYPERLINK(...)`` a formula."""
    c = cell_type(ws)
    c._value = text
    c.data_type = "s"
    return c


def _typed(ws: Any, cell_type: Any, value: Any, plain: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        c = cell_type(ws, value=value)
        c.number_format = "yyyy-mm-dd"
        return c
    if isinstance(value, Decimal) and value.is_finite():
        as_float = float(value)
        if Decimal(repr(as_float)) == value:
            c = cell_type(ws, value=as_float)
            places = max(0, -value.as_tuple().exponent)  # type: ignore[operator]
            c.number_format = "#,##0" + ("." + "0" * places if places else "")
            return c
    if isinstance(value, int) and not isinstance(value, bool):
        return cell_type(ws, value=value)
    return _string(ws, cell_type, cell(plain))
