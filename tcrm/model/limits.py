"""The accepted ranges of what a record may hold, defined once.

Records reach a clone from teammates through git, so every one is untrusted input. These
bounds are enforced by the models (dates, amounts, reminder offsets) and by the YAML
reader (size, depth), so ``tcrm check``, every command, every import and the merge
refuse the same values. docs/security.md lists them for people.
"""

from __future__ import annotations

MAX_RECORD_BYTES = 1_048_576
"""A record file (and tcrm.yaml) holds at most 1 MiB; larger files are not read."""
MAX_DEPTH = 20
"""Mappings and lists nest at most 20 levels deep in a file (records use 7 at most)."""
