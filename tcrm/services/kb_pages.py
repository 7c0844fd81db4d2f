"""The knowledge base's pages as they are read: ``kb/*.md``, never through a link.

Apart from ``tcrm.services.kb`` (which writes pages too, through the workspace) because
the early path of ``tcrm search`` (``tcrm.cli.early_path``, before Typer and pydantic
are imported) finds pages as the command does: pages are files the index does not
hold, so both read them here, each time. The standard library only.
"""

from __future__ import annotations

import os

from tcrm.model.value import Value

KB_DIR = "kb"

_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_FILE = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class KbPage(Value):
    """A page: its file name (``objection-handling.md``), its title and its text."""

    __match_args__ = ("name", "title", "text")
    __slots__ = __match_args__

    def __init__(self, name: str, title: str, text: str) -> None:
        self.name = name
        self.title = title
        self.text = text


def title_of(name: str, text: str) -> str:
    """A page's first ``# heading``, else its file name as words."""
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip() or name
    return name.removesuffix(".md").replace("-", " ").capitalize()


def read_pages(root: str) -> list[KbPage]:
    """Every readable ``kb/*.md`` page below ``root``, by title; hidden files, files that
    are not UTF-8 and links (the folder, or a page: ``tcrm check`` says so) are skipped.
    ``OSError`` when the folder is there but cannot be listed."""
    folder = os.path.join(root, KB_DIR)
    if os.path.islink(folder) or not os.path.isdir(folder):
        return []
    fd = os.open(folder, _DIR | _NOFOLLOW)  # a link swapped in since: refused
    try:
        pages = []
        with os.scandir(fd) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith(".") or not name.endswith(".md") or not entry.is_file():
                    continue
                try:
                    text = _read(fd, name).decode("utf-8")
                except (OSError, UnicodeDecodeError):
                    continue
                pages.append(KbPage(name, title_of(name, text), text))
    finally:
        os.close(fd)
    return sorted(pages, key=lambda p: (p.title.casefold(), p.name))


def _read(folder: int, name: str) -> bytes:
    """The bytes of the file ``name`` in the open folder, never through a link."""
    fd = os.open(name, _FILE, dir_fd=folder)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
