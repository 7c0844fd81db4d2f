"""Which record files a workspace holds, from their names alone (no parsing).

The standard library only, on purpose: ``tcrm status`` and shell completion answer from
here before Typer or pydantic are imported (``tcrm.cli.early_path``), and the index
(``tcrm.store.index``) lists files with the same functions, so both see the same files.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # no typing at run time: the early path imports this module
if TYPE_CHECKING:
    from collections.abc import Iterator

    from tcrm.store.lock import StrPath

FOLDER_OF_KIND = {"client": "clients", "deal": "deals", "task": "tasks", "activity": "activities"}
"""Each record kind's folder (``tcrm.model.records`` holds the same as ``FOLDER``; the
index checks both agree)."""
KIND_OF_FOLDER = {folder: kind for kind, folder in FOLDER_OF_KIND.items()}


def kind_of(rel: str) -> tuple[str, str] | None:
    """``(kind, id)`` of a record path (``tasks/t1.yaml``, ``activities/2026/a1.yaml``)."""
    parts = rel.split("/")
    kind = KIND_OF_FOLDER.get(parts[0])
    if kind is None or not parts[-1].endswith(".yaml") or parts[-1].startswith("."):
        return None
    if len(parts) != (3 if kind == "activity" else 2):
        return None
    return kind, parts[-1][:-5]


def record_files(root: StrPath, kind: str) -> list[tuple[str, str]]:
    """``(id, path relative to root, POSIX)`` of every record file of a kind, in id order:
    ``<folder>/<id>.yaml`` (activities one folder deeper), hidden files skipped. Plain text,
    no ``Path`` per file: callers ask for 100,000 of them."""
    folder = FOLDER_OF_KIND[kind]
    base = os.path.join(root, folder)
    if os.path.islink(base) or not os.path.isdir(base):  # a link is never followed (store.links)
        return []
    folders = [folder]
    if kind == "activity":
        folders = sorted(
            f"{folder}/{e.name}" for e in os.scandir(base) if e.is_dir(follow_symlinks=False)
        )
    return sorted(found for sub in folders for found in yaml_files(root, sub))


def yaml_files(root: StrPath, folder: str) -> Iterator[tuple[str, str]]:
    """``(id, path)`` of the record files directly in ``folder`` (relative to root); a link
    is listed as a file (reading it is refused, so ``check`` and reads can say so)."""
    try:
        entries = list(os.scandir(os.path.join(root, folder)))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        name = entry.name
        if (
            name.endswith(".yaml")
            and not name.startswith(".")
            and (entry.is_file(follow_symlinks=False) or entry.is_symlink())
        ):
            yield name[:-5], f"{folder}/{name}"
