"""``tcrm.store.git`` loads its names on first use: the table that says where each name
lives (``_FROM``), the names mypy sees (the ``TYPE_CHECKING`` imports) and ``__all__``
are three lists of the same names, held together here."""

from __future__ import annotations

import ast
import importlib
import inspect

import tcrm.store.git as git


def type_checking_imports() -> dict[str, str]:
    """Name -> module of every ``from tcrm.store.git.X import name`` under
    ``if TYPE_CHECKING:`` in the package's ``__init__``."""
    tree = ast.parse(inspect.getsource(git))
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for imported in node.body:
                assert isinstance(imported, ast.ImportFrom) and imported.module
                for alias in imported.names:
                    found[alias.asname or alias.name] = imported.module.rpartition(".")[2]
    return found


def test_the_lazy_table_is_what_mypy_sees_and_all_lists() -> None:
    assert type_checking_imports() == git._FROM
    assert sorted(git.__all__) == sorted(git._FROM)


def test_every_name_is_its_modules_own() -> None:
    for name, module in git._FROM.items():
        owner = importlib.import_module(f"tcrm.store.git.{module}")
        assert getattr(git, name) is getattr(owner, name), name


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        git.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("an unknown name was found")
