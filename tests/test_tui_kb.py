"""The knowledge base service behind the TUI's KB screen: list, read, search ``kb/*.md``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tcrm.errors import NotFoundError, UsageError
from tcrm.services import kb
from tcrm.store.workspace import Workspace


def test_pages_by_title_hidden_and_other_files_skipped(sample_ws: Path) -> None:
    (sample_ws / "kb" / ".draft.md").write_text("# Draft\n", encoding="utf-8")
    (sample_ws / "kb" / "notes.txt").write_text("not markdown\n", encoding="utf-8")
    (sample_ws / "kb" / "pricing-faq.md").write_text("No heading here.\n", encoding="utf-8")
    pages = kb.list_pages(Workspace.open(sample_ws))
    assert [(p.name, p.title) for p in pages] == [
        ("discovery-call-script.md", "Discovery call script"),
        ("objection-handling.md", "Objection handling FAQ"),
        ("pricing-faq.md", "Pricing faq"),
    ]


def test_read_a_page_by_name(sample_ws: Path) -> None:
    ws = Workspace.open(sample_ws)
    page = kb.read_page(ws, name="objection-handling")
    assert page.text.startswith("# Objection handling FAQ\n")
    with pytest.raises(NotFoundError, match=r"no knowledge base page 'nope\.md' in kb/"):
        kb.read_page(ws, name="nope")


def test_search_counts_mentions_and_quotes_the_first_line(sample_ws: Path) -> None:
    hits = kb.search_pages(Workspace.open(sample_ws), text="  NO   budget ")
    assert [(h.page.name, h.count) for h in hits] == [
        ("objection-handling.md", 2),
        ("discovery-call-script.md", 1),
    ]
    assert hits[0].excerpt == '"We have no budget right now."'  # without the "## "
    assert kb.search_pages(Workspace.open(sample_ws), text="zeppelin") == []
    with pytest.raises(UsageError):
        kb.search_pages(Workspace.open(sample_ws), text="   ")


def test_a_workspace_without_kb_has_no_pages(tmp_path: Path, workspace: Workspace) -> None:
    assert kb.list_pages(workspace) == []
