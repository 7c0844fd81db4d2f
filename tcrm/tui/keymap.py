"""The user's keymap: ``$XDG_CONFIG_HOME/tcrm/keymap.yaml`` (``~/.config`` without it).

Posting-style: a mapping of binding ids (``tcrm.tui.keys.KEYS``) to Textual key names,
``done: ctrl+d`` or ``filter: slash,ctrl+f``. It lives outside the workspace (keys are a
person's habit, not the team's). A file that cannot be used is one notice and the
defaults: the app always starts.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from tcrm.model.text import visible
from tcrm.tui.keys import KEYS

MAX_BYTES = 64 * 1024
KEY_NAME = re.compile(r"^[A-Za-z0-9_+]+$")
"""One Textual key name: ``d``, ``ctrl+d``, ``question_mark``, ``f5``."""


@dataclass(frozen=True)
class Keymap:
    keys: dict[str, str] = field(default_factory=dict)
    """Binding id -> key names (comma-separated), as Textual's ``App.set_keymap`` takes."""
    problem: str | None = None
    """Why the file was not used (one line), or ``None``."""


def keymap_path(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")) / ".config")
    return Path(base).expanduser() / "tcrm" / "keymap.yaml"


def _problem(path: Path, text: str) -> Keymap:
    return Keymap({}, visible(f"{path}: {text}; using the default keys"))


def load_keymap(path: Path) -> Keymap:
    """The keymap in ``path`` (none there: no overrides); all of it or none of it."""
    try:
        if not path.is_file():
            return Keymap()
        if path.stat().st_size > MAX_BYTES:
            return _problem(path, f"is larger than {MAX_BYTES // 1024} KiB")
        raw = path.read_bytes()
    except OSError as exc:
        return _problem(path, f"cannot be read ({exc.strerror})")
    try:
        data = YAML(typ="safe", pure=True).load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return _problem(path, "is not UTF-8")
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"{mark.line + 1}" if mark is not None else "?"
        return Keymap({}, visible(f"{path}:{line}: not valid YAML; using the default keys"))
    if data is None:
        return Keymap()
    if not isinstance(data, dict):
        return _problem(path, "must map binding ids to keys (done: ctrl+d)")
    keys: dict[str, str] = {}
    for binding_id, value in data.items():
        if str(binding_id) not in KEYS:
            return _problem(path, f"{binding_id!s}: no such binding id (see docs/tui.md)")
        names = value if isinstance(value, str) else None
        parts = [p.strip() for p in names.split(",")] if names else []
        if not parts or not all(KEY_NAME.match(p) for p in parts):
            return _problem(path, f"{binding_id}: {value!r} is not a key name (ctrl+d, f2, x)")
        keys[str(binding_id)] = ",".join(parts)
    return Keymap(keys)
