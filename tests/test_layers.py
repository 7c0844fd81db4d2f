"""The dependency direction of docs/architecture.md, enforced: model <- store <- services <-
front ends."""

from __future__ import annotations

import ast
import functools
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tcrm"
FRONT_END_LIBRARIES = ("textual", "typer", "rich", "click")

# What each core layer may import from tcrm itself (besides the package root, for __version__).
ALLOWED_TCRM = {
    "model": ("tcrm.errors", "tcrm.model"),
    "store": ("tcrm.errors", "tcrm.model", "tcrm.store"),
    "services": (
        "tcrm.errors",
        "tcrm.model",
        "tcrm.store",
        "tcrm.services",
        "tcrm.reports",
        "tcrm.mail",
    ),
    # reading and moving mail (parsing, mailboxes, servers): below the services
    "mail": ("tcrm.errors", "tcrm.model", "tcrm.store", "tcrm.mail"),
    # pure report computations: the models only, nothing above them
    "reports": ("tcrm.errors", "tcrm.model", "tcrm.reports"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def parsed(source: str) -> ast.Module:
    """``ast.parse(source)``, once per text: most checks here read every module of tcrm
    (the trees are only read, never changed)."""
    return ast.parse(source)


def imports(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """``(line, absolute module)`` for every import anywhere in ``source``: at the top, in
    functions, under ``if TYPE_CHECKING``; relative imports resolved against ``module``."""
    return list(_imports(source, module, is_package))


@functools.cache
def _imports(source: str, module: str, is_package: bool) -> tuple[tuple[int, str], ...]:
    found = []
    for node in ast.walk(parsed(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from tcrm import store` imports tcrm.store
            found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names)
    return tuple(found)


def is_under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def layer_files(layer: str) -> list[Path]:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"no Python files found in tcrm/{layer}"
    return files


def all_imports(layer: str) -> list[tuple[str, int, str]]:
    out = []
    for path in layer_files(layer):
        module = module_name(path)
        for line, name in imports(
            path.read_text(encoding="utf-8"), module, path.name == "__init__.py"
        ):
            out.append((f"{path.relative_to(PACKAGE.parent)}:{line}", line, name))
    return out


def test_import_finder_sees_nested_relative_and_guarded_imports() -> None:
    source = (
        "from __future__ import annotations\n"
        "import os\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from rich.console import Console\n"
        "def f():\n"
        "    import textual.app\n"
        "    from ..cli import main\n"
        "class C:\n"
        "    def g(self):\n"
        "        from tcrm import services\n"
    )
    names = {name for _, name in imports(source, "tcrm.store.workspace")}
    assert {"rich.console", "textual.app", "tcrm.cli", "tcrm.cli.main", "tcrm.services"} <= names
    assert {name for _, name in imports("from . import git\n", "tcrm.store", True)} >= {
        "tcrm.store.git"
    }


@pytest.mark.parametrize("layer", ["model", "store", "services", "reports", "mail"])
def test_core_layers_import_no_front_end_library(layer) -> None:
    bad = [
        f"{where}: {name}"
        for where, _, name in all_imports(layer)
        if any(is_under(name, lib) for lib in FRONT_END_LIBRARIES)
    ]
    assert bad == [], "front-end libraries imported by tcrm/" + layer + ":\n" + "\n".join(bad)


@pytest.mark.parametrize("layer", ["model", "store", "services", "reports", "mail"])
def test_core_layers_import_only_layers_below_them(layer) -> None:
    allowed = ALLOWED_TCRM[layer]
    bad = [
        f"{where}: {name}"
        for where, _, name in all_imports(layer)
        if is_under(name, "tcrm")
        and name != "tcrm"
        and not name.startswith("tcrm.__")
        and not any(is_under(name, ok) for ok in allowed)
    ]
    assert bad == [], f"tcrm/{layer} imports from a layer above it:\n" + "\n".join(bad)


def mutual_imports(package: Path) -> list[str]:
    """Pairs of modules under ``package`` that import each other (anywhere in the file)."""
    found: dict[str, set[str]] = {}
    for path in sorted(package.rglob("*.py")):
        name = module_name(path)
        source = path.read_text(encoding="utf-8")
        found[name] = {t for _, t in imports(source, name, path.name == "__init__.py")}
    return sorted(
        f"{a} <-> {b}"
        for a, targets in found.items()
        for b in targets
        if a < b and a in found.get(b, ())
    )


def test_cli_modules_import_no_module_that_imports_them() -> None:
    """The CLI's helpers form layers too: the console (``terminal``) under the command
    state (``state``) and the progress bars, so neither needs the other to load."""
    assert mutual_imports(PACKAGE / "cli") == []


def test_only_the_git_package_imports_dulwich() -> None:
    users = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        for line, name in imports(path.read_text(encoding="utf-8"), module):
            if is_under(name, "dulwich"):
                users.append((path.relative_to(PACKAGE.parent).as_posix(), line))
    assert users, "tcrm/store/git/ should import dulwich (did the git package move?)"
    outside = {path for path, _ in users if not path.startswith("tcrm/store/git/")}
    assert outside == set(), users


def test_reading_a_workspace_loads_no_front_end_no_dulwich_and_no_round_trip_engine() -> None:
    """ruamel.yaml (the round-trip engine) is for editing one file: reading never loads it."""
    watched = (*FRONT_END_LIBRARIES, "dulwich", "ruamel")
    code = (
        "import json, sys\n"
        "import tcrm.store.workspace, tcrm.services.check\n"
        f"watched = {watched!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in watched)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == []


LAZY_IN_CLI = (
    "textual",
    "icalendar",
    "dulwich",
    "vobject",
    "ruamel",
    "rich",
    "http",
    "ssl",
    "tcrm.tui",
    "tcrm.ics",
    "tcrm.io",
    "tcrm.reports",
)
"""Imported by the CLI only inside the functions that use them (tests/test_startup.py runs
the commands): every module of tcrm/cli is imported for ``tcrm --help``."""


def module_level_imports(tree: ast.Module, module: str) -> list[tuple[int, str]]:
    """Imports run when the module loads: its body, not functions nor ``if TYPE_CHECKING``."""
    body: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            body.extend(node.orelse)
        elif isinstance(node, ast.Try):
            body.extend([*node.body, *node.orelse, *node.finalbody])
        else:
            body.append(node)
    source = "\n".join(ast.unparse(n) for n in body if isinstance(n, ast.Import | ast.ImportFrom))
    return imports(source, module)


def test_the_import_line_finder_skips_functions_and_type_checking() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "import typer\n"
        "if TYPE_CHECKING:\n"
        "    from rich.console import Console\n"
        "def f():\n"
        "    from tcrm.ics import calendar\n"
    )
    names = {name for _, name in module_level_imports(ast.parse(source), "tcrm.cli.x")}
    assert names == {"typing", "typing.TYPE_CHECKING", "typer"}


def test_cli_modules_import_heavy_libraries_only_where_they_are_used() -> None:
    bad = []
    for path in layer_files("cli"):
        if path.name == "tui_cmds.py":
            continue  # `tcrm tui` only: nothing else imports it
        tree = parsed(path.read_text(encoding="utf-8"))
        for _, name in module_level_imports(tree, module_name(path)):
            if any(is_under(name, heavy) for heavy in LAZY_IN_CLI):
                bad.append(f"{path.relative_to(PACKAGE.parent)}: {name}")
    assert bad == [], "move these imports into the functions that use them:\n" + "\n".join(bad)


SQL = re.compile(
    r"\b(?:SELECT|INSERT|UPDATE|DELETE|FROM|WHERE|JOIN|GROUP BY|ORDER BY|LIKE|IS (?:NOT )?NULL"
    r"|COUNT\(|CASE WHEN)\b|\bjson_each\b|\binstr\(|\bjulianday\(|(?:=|<=|>=|<|>|!=) \?"
    r"|\w+ IN \(|\w+ = '[^']*'"
)
"""What SQL looks like in a string: its keywords (upper case, as written in tcrm/store),
placeholders compared with a column, and the SQLite functions the index's queries use."""


def sql_in(source: str) -> list[tuple[int, str]]:
    """``(line, text)`` of each string constant that reads as SQL, and each call of a
    database method (``execute``, ``executemany``, ``executescript``) or the index's
    former raw-SQL methods (``scalar``, ``query``) given a string."""
    found = []
    for node in ast.walk(parsed(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if SQL.search(node.value):
                found.append((node.lineno, node.value))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("execute", "executemany", "executescript", "scalar", "query")
        ):
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_the_sql_finder_sees_queries_conditions_and_database_calls() -> None:
    source = (
        "a = 'SELECT kind, COUNT(*) FROM records GROUP BY kind'\n"
        'b = "status IN (SELECT value FROM json_each(?))"\n'
        'c = f"{column} = ?"\n'
        "d = \"status = 'open'\"\n"
        "e = 'conflicts IS NOT NULL'\n"
        "f = '(' + ' OR '.join('instr(text, ?) > 0' for _ in x) + ')'\n"
        "conn.execute(sql)\n"
        "index.scalar(text)\n"
        "ok = 'no client named acme: select one with --client, or update it'\n"
        "fine = '--due: give a date, e.g. 2026-12-01'\n"
    )
    assert {line for line, _ in sql_in(source)} == {1, 2, 3, 4, 5, 6, 7, 8}


def test_services_hold_no_sql() -> None:
    """Services ask the index typed questions (``tcrm.store.where``, ``Index.summary``):
    every query is written in tcrm/store, none in a service, and no exception."""
    bad = []
    for path in layer_files("services"):
        for line, text in sql_in(path.read_text(encoding="utf-8")):
            bad.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {text[:70]!r}")
        tree = parsed(path.read_text(encoding="utf-8"))
        for _, name in imports(ast.unparse(tree), module_name(path)):
            if is_under(name, "sqlite3"):
                bad.append(f"{path.relative_to(PACKAGE.parent)}: imports {name}")
    assert bad == [], "SQL in tcrm/services (ask tcrm.store for it):\n" + "\n".join(bad)


MAX_LINES = 900
REASON = "Over 900 lines because"
"""How a module over ``MAX_LINES`` says why it is one (a line of its docstring starts so;
docs/architecture.md)."""


def long_modules(package: Path) -> list[str]:
    """The modules under ``package`` longer than ``MAX_LINES`` whose docstring gives no
    reason, with their sizes."""
    out = []
    for path in sorted(package.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        doc = ast.get_docstring(parsed(text)) or ""
        if lines > MAX_LINES and not any(line.startswith(REASON) for line in doc.splitlines()):
            out.append(f"{path.relative_to(package.parent)}: {lines} lines")
    return out


def test_the_size_check_sees_a_long_module_and_its_reason(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    body = "x = 1\n" * MAX_LINES
    (package / "short.py").write_text('"""Short."""\n' + "x = 1\n" * (MAX_LINES - 1))
    (package / "long.py").write_text('"""Long."""\n' + body)
    (package / "said.py").write_text(f'"""Long.\n\n{REASON} it is data.\n"""\n' + body)
    assert long_modules(package) == [f"pkg/long.py: {MAX_LINES + 1} lines"]


def test_no_module_is_over_900_lines_without_a_reason_at_its_top() -> None:
    """Split a module along its seams, or say at its top why it is one piece."""
    assert long_modules(PACKAGE) == []


def test_the_sample_data_does_not_ship_in_the_wheel() -> None:
    """``tcrm/devtools/sample.py`` (the sample workspace's records) is for this repository:
    the wheel leaves it out, so nothing that ships may import it."""
    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = project["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert "tcrm/devtools/sample.py" in wheel["exclude"]
    users = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "sample.py" or path.parent.name != "devtools"
        for line, name in imports(
            path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py"
        )
        if is_under(name, "tcrm.devtools.sample")
    ]
    assert users == []
