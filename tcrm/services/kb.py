"""The knowledge base: the workspace's ``kb/*.md`` pages, listed, read and searched.

Pages are plain Markdown the team edits with any editor; tcrm only reads them. A page's
title is its first ``# heading`` (else its file name), so renaming a file never hides it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from tcrm.errors import NotFoundError, UsageError
from tcrm.services.kb_pages import KB_DIR as KB_DIR
from tcrm.services.kb_pages import KbPage as KbPage
from tcrm.services.kb_pages import read_pages, title_of
from tcrm.store.workspace import Workspace

_MARKERS = re.compile(r"^(#+|>|[-*+]|\d+[.)])\s+")
EXCERPT = 70


@dataclass(frozen=True)
class KbHit:
    page: KbPage
    count: int
    """How often the text occurs in the page (title included)."""
    excerpt: str
    """The first line that contains the text, shortened around it."""


def list_pages(ws: Workspace) -> list[KbPage]:
    """Every readable ``kb/*.md`` page, by title; hidden files are skipped."""
    return read_pages(str(ws.root))


def read_page(ws: Workspace, *, name: str) -> KbPage:
    """One page by file name (``.md`` optional)."""
    wanted = name if name.endswith(".md") else f"{name}.md"
    for page in list_pages(ws):
        if page.name == wanted:
            return page
    raise NotFoundError(f"no knowledge base page {wanted!r} in {KB_DIR}/")


def _excerpt(line: str, at: int) -> str:
    line = " ".join(line.split())
    if len(line) <= EXCERPT:
        return line
    start = max(0, min(at - EXCERPT // 3, len(line) - EXCERPT))
    text = line[start : start + EXCERPT]
    return ("…" if start else "") + text + ("…" if start + EXCERPT < len(line) else "")


def search_pages(ws: Workspace, *, text: str) -> list[KbHit]:
    """Pages containing ``text`` (any case), the most mentions first."""
    needle = " ".join(text.split()).casefold()
    if not needle:
        raise UsageError("search the knowledge base for what? give some text")
    hits = []
    for page in list_pages(ws):
        folded = " ".join(page.text.split()).casefold()
        count = folded.count(needle)
        if not count:
            continue
        excerpt = ""
        for raw in page.text.splitlines():
            line = _MARKERS.sub("", " ".join(raw.split()))  # the words, not the Markdown
            at = line.casefold().find(needle)
            if at >= 0:
                excerpt = _excerpt(line, at)
                break
        hits.append(KbHit(page, count, excerpt))
    return sorted(hits, key=lambda h: (-h.count, h.page.title.casefold()))


_PAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


def page_name(title_or_name: str) -> str:
    """A safe file name for a page: ``Objection handling`` -> ``objection-handling.md``."""
    from tcrm.model.types import slugify

    base = title_or_name.removesuffix(".md")
    slug = base if _PAGE_NAME.match(base) else slugify(base)
    if not slug or not _PAGE_NAME.match(slug):
        raise UsageError(f"{title_or_name!r} gives no usable page name; use letters and digits")
    return f"{slug}.md"


def new_page(ws: Workspace, *, name: str, text: str) -> KbPage:
    """Write a new ``kb/NAME.md`` in one commit; an existing page is never overwritten."""
    file_name = page_name(name)
    if not text.strip():
        raise UsageError("the page is empty; nothing was written")
    if (ws.root / KB_DIR / file_name).exists() or os.path.lexists(ws.root / KB_DIR / file_name):
        raise UsageError(f"{KB_DIR}/{file_name} exists already (tcrm kb show {file_name})")
    if not text.endswith("\n"):
        text += "\n"
    page = KbPage(file_name, title_of(file_name, text), text)
    with ws.transaction(f"kb {file_name}: add ({page.title})") as tx:
        tx.write_text(f"{KB_DIR}/{file_name}", text)
    return page
