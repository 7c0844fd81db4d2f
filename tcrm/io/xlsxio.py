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


def read_sheet(path: Path, sheet: str | None = None, kind: str | None = None) -> Source:
    """The rows of one sheet (``sheet``, else the one holding ``kind`` in a workbook of
    several, see ``pick_sheet``, else the first) as a ``Source`` of text cells.

    Row 1 is the header; rows are numbered as Excel shows them; wholly empty rows are
    skipped. A formula cell is read as its saved value; one with no saved value is
    refused ("cell C7 of Sheet1 is a formula with no saved value")."""
    values_book = _load(path, data_only=True)
    formulas_book = None
    try:
        names = values_book.sheetnames
        if sheet is None and kind is not None:
            sheet = pick_sheet(values_book, kind)
        name = sheet if sheet is not None else names[0]
        if name not in names:
            raise UsageError(f"{path.name} has no sheet {sheet!r}; its sheets: {', '.join(names)}")
        values_ws = values_book[name]
        values_ws.reset_dimensions()  # some writers store a wrong dimension: read all rows
        formulas_ws = None
        has_formulas, merges = _scan(values_book, values_ws)
        if has_formulas:  # a second pass only for formulas
            formulas_book = _load(path, data_only=False)
            formulas_ws = formulas_book[name]
            formulas_ws.reset_dimensions()
        return _source(path, name, values_ws, formulas_ws, merges)
    except (zipfile.BadZipFile, KeyError, ValueError, ParseError) as exc:
        raise UsageError(f"{path.name} is not a readable Excel workbook (.xlsx): {exc}") from None
    finally:
        values_book.close()
        if formulas_book is not None:
            formulas_book.close()


def pick_sheet(book: Any, kind: str) -> str | None:
    """The sheet a workbook of several holds ``kind`` on (``--sheet`` not given): the
    one named for it (``Deals``, ``deal``), else the first whose header row has the
    columns that kind needs (a ``Deal Name`` and a ``Company`` for deals). ``None``: the
    first sheet (a workbook of one sheet, or none fits: its refusal names the columns)."""
    from tcrm.services.imports import header_key, plan_columns

    names = book.sheetnames
    if len(names) < 2:
        return None
    words = {PLURAL[kind], kind}
    for name in names:
        if header_key(name) in words:
            return str(name)
    for name in names:
        row = next(book[name].iter_rows(min_row=1, max_row=1, values_only=True), ())
        headers = [str(v).strip() if v is not None else "" for v in row]
        try:
            plan_columns(kind, headers, {})
        except UsageError:
            continue
        return str(name)
    return None


_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
_MERGE_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\s+ref=\"([A-Z]{1,3}[0-9]{1,7}:[A-Z]{1,3}[0-9]{1,7})\""
)
_CHUNK = 1 << 20
HEADER_ROWS = 2
"""Merged ranges that matter: those of the header, which is at most two rows."""

Merge = tuple[int, int, int, int]
"""A merged range: first column, first row, last column, last row (1-based)."""


def _scan(book: Any, ws: Any) -> tuple[bool, list[Merge]]:
    """Whether the sheet's XML holds a formula element (``<f>``, any prefix), and its
    merged ranges that touch the header rows: one byte scan, far cheaper than parsing
    the sheet again (read-only mode does not read merged cells)."""
    from openpyxl.utils.cell import range_boundaries

    formulas = False
    merges: set[bytes] = set()
    tail = b""
    with book._archive.open(ws._worksheet_path) as part:
        while chunk := part.read(_CHUNK):
            text = tail + chunk
            formulas = formulas or bool(_FORMULA_TAG.search(text))
            merges.update(_MERGE_TAG.findall(text))
            tail = chunk[-96:]
    out = []
    for ref in sorted(merges):
        min_col, min_row, max_col, max_row = range_boundaries(ref.decode("ascii"))
        if min_row <= HEADER_ROWS and max_col - min_col < 16384:
            out.append((min_col, min_row, max_col, max_row))
    return formulas, out


def _spread(texts: list[str], row: int, merges: list[Merge]) -> list[str]:
    """Row ``row``'s texts with each merged range's value in every column it covers."""
    texts = list(texts)
    for min_col, min_row, max_col, _ in merges:
        if min_row == row and max_col > min_col:
            value = texts[min_col - 1] if min_col <= len(texts) else ""
            texts += [""] * (max_col - len(texts))
            for column in range(min_col + 1, max_col + 1):
                texts[column - 1] = value
    return texts


def _two_row_header(second: list[str], merges: list[Merge]) -> set[int] | None:
    """The columns (1-based) under a range merged across row 1, when row 2 is their
    second header row: it has text only in such columns (the others' cells are merged
    down from row 1, or empty). ``None`` when row 2 is data."""
    under = {
        column
        for min_col, min_row, max_col, max_row in merges
        if min_row == 1 and max_row == 1 and max_col > min_col
        for column in range(min_col, max_col + 1)
    }
    filled = {i for i, text in enumerate(second, 1) if text.strip()}
    return under if under and filled and filled <= under else None


def _source(
    path: Path, sheet: str, values_ws: Any, formulas_ws: Any, merges: list[Merge]
) -> Source:
    source: Source | None = None
    width = 0
    top: list[str] | None = None
    """Row 1's texts while row 2 may still be a second header row."""
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
        if source is None and top is not None:
            under = _two_row_header(texts, merges) if number == 2 else None
            header = top
            if under is not None:
                second = texts + [""] * (len(top) - len(texts))
                header = [
                    f"{t.strip()} {second[i].strip()}".strip() if i + 1 in under else t
                    for i, t in enumerate(top)
                ]
            source = Source(f"{path.name} (sheet {sheet})", _headers(header), [])
            width = len(source.headers)
            if under is not None:
                continue
        if source is None:
            if not any(t.strip() for t in texts):
                raise UsageError(
                    f"{path.name}: row 1 of {sheet} is empty; the first row must name the columns"
                )
            top = _spread(texts, number, merges)
            continue
        if not "".join(texts).strip():
            continue
        if len(texts) > width and "".join(texts[width:]).strip():
            source.problems.append(
                (number, f"has cells beyond the {width} columns the header names")
            )
        values = texts[:width] + [""] * (width - len(texts))
        source.rows.append(SourceRow(number, values))
    if source is None and top is not None:  # a header and no rows
        source = Source(f"{path.name} (sheet {sheet})", _headers(top), [])
    if source is None:
        raise UsageError(f"{path.name}: {sheet} is empty; the first row must name the columns")
    return source


def _headers(texts: list[str]) -> list[str]:
    texts = list(texts)
    while texts and not texts[-1].strip():
        texts.pop()
    return [t.strip() or f"column {i + 1}" for i, t in enumerate(texts)]


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
    n decimals when that changes no digit (``7200`` as ``7200.00``) or removes only float
    noise (``1234.4999999`` as ``1234.50``, see ``NOISE``)."""
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, float) and len(exact.as_tuple().digits) > EXCEL_DIGITS:
        # 0.30000000000000004 from =0.1+0.2: Excel keeps and shows 15 significant digits
        exact = round(exact, EXCEL_DIGITS - 1 - exact.adjusted()).normalize()
    if exact == exact.to_integral_value():
        exact = exact.quantize(Decimal(1))
    shown = _DECIMALS.search(number_format.split(";")[0]) if number_format else None
    if shown:
        places = Decimal(1).scaleb(-len(shown.group(1)))
        rounded = exact.quantize(places)
        if rounded == exact or abs(rounded - exact) < places * NOISE:
            exact = rounded
    return format(exact, "f")


NOISE = Decimal("0.0001")
"""A value within 1/10,000 of the last decimal its cell's format shows is that shown
value: ``1234.4999999`` formatted ``#,##0.00`` (a formula's or another program's float
noise) is ``1234.50``; ``1234.567`` is a real third decimal and stays."""


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
