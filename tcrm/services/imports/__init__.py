"""Importing records from other tools: rows in, validated records out, one commit.

The front end (``tcrm.io``) reads a file into a ``Source``: headers and rows of text.
Here the headers are recognised (HubSpot, Pipedrive, Google Contacts and plain
spreadsheets, any case and spacing; ``--map`` overrides), each cell is parsed (amounts
like ``1 234,50``, dates like ``01/12/2026``), each row becomes a record validated by its
model and the workspace settings, duplicates are found within the file and against the
workspace, and everything is written in one transaction: one commit, or nothing.

Columns nobody recognises are kept on the records as extra fields (snake_case keys), so
nothing in the file is lost without a word.

The modules, in the order an import runs: ``source`` (what a reader hands over), ``cells``
(amounts, dates), ``headers`` (the header tables), ``columns`` (planning), ``rows`` (cells
into fields), ``drafts`` (rows into records), ``ids``, ``importer`` (planning one import)
and ``commit`` (writing it)."""

from __future__ import annotations

from tcrm.services.imports.cells import parse_amount_text, parse_date_text
from tcrm.services.imports.columns import Column, parse_mappings, plan_columns
from tcrm.services.imports.commit import (
    ImportResult,
    commit_message,
    import_rows,
    rejected_path_for,
)
from tcrm.services.imports.drafts import Rejected
from tcrm.services.imports.headers import header_key
from tcrm.services.imports.source import ON_DUPLICATE, ImportProblems, Source, SourceRow

__all__ = [
    "ON_DUPLICATE",
    "Column",
    "ImportProblems",
    "ImportResult",
    "Rejected",
    "Source",
    "SourceRow",
    "commit_message",
    "header_key",
    "import_rows",
    "parse_amount_text",
    "parse_date_text",
    "parse_mappings",
    "plan_columns",
    "rejected_path_for",
]
