"""The accepted ranges of what a record may hold, defined once.

Records reach a clone from teammates through git, so every one is untrusted input. These
bounds are enforced by the models (dates, amounts, reminder offsets) and by the YAML
reader (size, depth), so ``tcrm check``, every command, every import and the merge
refuse the same values. docs/security.md lists them for people.
"""

from __future__ import annotations

from datetime import timedelta

YEAR_MIN = 1900
YEAR_MAX = 2200
"""Dates and date-times (due dates, close dates, activity times...): years 1900-2200,
both included. Far enough from ``datetime``'s own ends (years 1-9999) that a reminder,
a time zone or a recurrence worked out from them can never leave its range."""

AMOUNT_DIGITS = 15
"""An amount has at most 15 digits before the decimal point (under a quadrillion)..."""
AMOUNT_DECIMALS = 6
"""... and at most 6 after it (trailing zeros aside); it is finite and not negative."""

MAX_OFFSET = timedelta(days=366)
"""A reminder fires at most a year (366 days, 52 weeks) before the due time."""

MAX_RECORD_BYTES = 1_048_576
"""A record file (and tcrm.yaml) holds at most 1 MiB; larger files are not read."""
MAX_DEPTH = 20
"""Mappings and lists nest at most 20 levels deep in a file (records use 7 at most)."""
MAX_CSV_CELL = MAX_RECORD_BYTES
"""A CSV cell holds at most as many characters as a record file may hold bytes: anything
``tcrm export csv`` writes reads back in, and a larger cell could not be a record."""

EXTERNAL_ID_CHARS = 200
"""An id another tool gave a record (HubSpot's ``10021``, Zoho's ``zcrm_4876...``) holds
at most 200 characters; a record keeps ids of at most 20 tools."""
EXTERNAL_ID_TOOLS = 20
