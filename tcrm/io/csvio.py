"""CSV as spreadsheets and CRMs write it: UTF-8 with or without BOM, ``,`` or ``;``
(or tab), quoted cells over several lines; written safe to open in Excel and LibreOffice.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from tcrm.errors import UsageError
from tcrm.model.limits import MAX_CSV_CELL
from tcrm.services.exports import ExportData
from tcrm.services.imports import Rejected, Source, SourceRow

DELIMITERS = ",;\t|"
NAMED_DELIMITERS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these is a formula to a spreadsheet (CSV injection)."""


def delimiter_of(text: str | None) -> str | None:
    """``--delimiter`` as given: one character, or tab/comma/semicolon/pipe by name."""
    if text is None:
        return None
    value = NAMED_DELIMITERS.get(text.lower(), text)
    if len(value) != 1 or value in '"\r\n' or value.isalnum():
        raise UsageError(f"--delimiter {text!r}: give one character such as ',' ';' or 'tab'")
    return value


def decode(data: bytes, encoding: str | None, name: str) -> tuple[str, bool]:
    """The text of a file and whether it started with a byte order mark."""
    if encoding is None:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16"), True
        bom = data.startswith(codecs.BOM_UTF8)
        try:
            return data.decode("utf-8-sig"), bom
        except UnicodeDecodeError as exc:
            raise UsageError(
                f"{name} is not UTF-8 (byte {exc.start + 1}); give its encoding, e.g. "
                "--encoding cp1252 for a file saved by Excel on Windows"
            ) from None
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UsageError(f"--encoding {encoding!r} is not an encoding Python knows") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UsageError(f"{name} is not {encoding} (byte {exc.start + 1})") from None
    bom = text.startswith("\ufeff")
    return text.removeprefix("\ufeff"), bom


def sniff_delimiter(text: str) -> str:
    """``;`` or ``,`` (or tab, pipe): csv.Sniffer on the start of the file, checked
    against the header line; the header's most frequent candidate when they disagree.

    A header line with at most one of the candidates decides alone (the Sniffer's guess
    could only be taken if it were that one), which spares the Sniffer's regular
    expressions over 64 KB: a third of a second on a 10,000-row file."""
    first_line = text.partition("\n")[0]
    counts = {d: first_line.count(d) for d in DELIMITERS}
    present = [d for d in DELIMITERS if counts[d]]
    if len(present) <= 1:
        return present[0] if present else ","
    try:
        sniffed: str | None = csv.Sniffer().sniff(text[:65536], delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    if sniffed and counts.get(sniffed, 0) > 0:
        return sniffed
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def unescape(value: str) -> str:
    """Undo ``escape``: ``'=SUM(A1)`` read from our own export is ``=SUM(A1)`` again."""
    if value.startswith("'") and value.lstrip("'")[:1] in FORMULA_STARTS:
        return value[1:]
    return value


def escape(value: str) -> str:
    """Neutralise spreadsheet formula injection: a cell that a spreadsheet would run
    (``=HYPERLINK(...)``, ``+1``, ``-1``, ``@SUM``, a leading tab or CR) gets a ``'``
    in front, which spreadsheets show as text; ``unescape`` takes it off on import."""
    if value[:1] in FORMULA_STARTS or (
        value.startswith("'") and value.lstrip("'")[:1] in FORMULA_STARTS
    ):
        return "'" + value
    return value


def read_table(
    path: Path,
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
    data: bytes | None = None,
) -> tuple[Source, str, bool]:
    """``(source, delimiter, had BOM)`` of a CSV file. Rows are numbered as a spreadsheet
    shows them: the header is row 1. Wholly empty rows are skipped (numbers kept).

    A cell holds at most ``MAX_CSV_CELL`` characters (what a record file can hold, so
    all that ``tcrm export csv`` writes). A longer one is refused in one line, found
    before it is copied; a file too large for the memory there is, in one line too."""
    try:
        raw = path.read_bytes() if data is None else data
        text, bom = decode(raw, encoding, path.name)
        del raw
        sep = delimiter or sniff_delimiter(text)
        records = _rows(text, sep, path.name)
    except MemoryError:
        raise UsageError(
            f"{path.name}: too large to read in the memory available; split it into parts"
        ) from None
    if not records or not any(c.strip() for c in records[0]):
        raise UsageError(f"{path.name} has no header row; the first row must name the columns")
    headers = [h.strip() or f"column {i + 1}" for i, h in enumerate(records[0])]
    source = Source(path.name, headers, [])
    width = len(headers)
    for number, cells in enumerate(records[1:], 2):
        if not "".join(cells).strip():
            continue
        if len(cells) > width and "".join(cells[width:]).strip():
            source.problems.append(
                (number, f"has {len(cells)} cells but the header names {width} columns")
            )
        values = [unescape(c) if c[:1] == "'" else c for c in cells[:width]]
        values += [""] * (width - len(values))
        source.rows.append(SourceRow(number, values))
    return source, sep, bom


class _CellTooLong(Exception):
    """A line holds a run of characters longer than a cell may be."""


def _lines(text: str, sep: str) -> Iterator[str]:
    """The lines of ``text`` for ``csv.reader`` (no ``StringIO``: it would hold the text
    four bytes a character). A line over ``MAX_CSV_CELL`` characters is looked at first:
    a run of more than that with no separator, quote or line break is a cell too long,
    refused before the line is copied."""
    too_long = re.compile(f'[^{re.escape(sep)}"\r\n]{{{MAX_CSV_CELL + 1}}}')
    start, end = 0, len(text)
    while start < end:
        stop = text.find("\n", start)
        stop = end if stop < 0 else stop + 1
        if stop - start > MAX_CSV_CELL and too_long.search(text, start, stop):
            raise _CellTooLong
        yield text[start:stop]
        start = stop


def _rows(text: str, sep: str, name: str) -> list[list[str]]:
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_CSV_CELL)
    rows: list[list[str]] = []
    reader = csv.reader(_lines(text, sep), delimiter=sep)
    try:
        rows.extend(reader)
    except (_CellTooLong, csv.Error) as exc:
        if isinstance(exc, _CellTooLong) or "field limit" in str(exc):
            raise UsageError(
                f"{name}: row {len(rows) + 1} has a cell of more than {MAX_CSV_CELL:,} "
                "characters, the most a record can hold"
            ) from None
        where = f"near line {reader.line_num}"
        raise UsageError(f"{name}: not readable as CSV {where}: {exc}") from None
    finally:
        csv.field_size_limit(limit)
    return rows


def write_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    delimiter: str = ",",
    bom: bool = False,
) -> bytes:
    """CSV bytes: a header, CRLF line ends, every cell escaped against formulas."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([escape(c) for c in columns])
    for row in rows:
        writer.writerow([escape(c) for c in row])
    text = out.getvalue()
    return (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")


def encode_export(data: ExportData, *, delimiter: str = ",", bom: bool = False) -> bytes:
    """``tcrm export csv``: one row per record, the columns of ``ExportData.columns``."""
    return write_table(data.columns(), data.rows(), delimiter=delimiter, bom=bom)


def encode_rejected(
    source: Source, rejected: Sequence[Rejected], *, delimiter: str = ",", bom: bool = False
) -> bytes:
    """The rows an import refused, as they were, plus an ``error`` column saying why."""
    rows = []
    for item in rejected:
        cells = [v if isinstance(v, str) else "; ".join(v) for v in item.row.values]
        rows.append([*cells, "; ".join(item.errors)])
    return write_table([*source.headers, "error"], rows, delimiter=delimiter, bom=bom)
