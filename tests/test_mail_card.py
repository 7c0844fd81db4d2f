"""Filed mail on the client card, grouped by thread: ``tcrm client show`` and the TUI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tcrm.mail.parse import read_messages
from tcrm.services import mail as service
from tcrm.tui.widgets.section_table import SectionTable
from tests.clitools import run
from tests.mailtools import NOW, corpus, mail_workspace, write_mbox
from tests.test_tui_pilot import drive, make_app, settle


@pytest.fixture
def root(tmp_path: Path) -> Path:
    ws = mail_workspace(tmp_path / "ws")
    box = write_mbox(tmp_path / "m.mbox", corpus())
    service.file_messages(ws, read_messages(box), now=NOW, source="m.mbox")
    return ws.root


def ids(*keys: str) -> list[str]:
    return [service.activity_id(key, "acme") for key in keys]


ACME_THREADS = [
    ("intro@ourco.example", ["intro@ourco.example"]),
    ("broken@acme.example", ["broken@acme.example"]),
    ("inv42@acme.example", ["inv42@acme.example"]),
    ("q1@acme.example", ["q1@acme.example", "r1@ourco.example"]),
]
"""acme's threads, the most recently active first; each thread's messages oldest first."""


def test_client_show_json_groups_mail_by_thread(root: Path) -> None:
    result = run("-w", root, "client", "show", "acme", "--json")
    assert result.code == 0, result.err
    threads = json.loads(result.out)["mail_threads"]
    assert [(t["thread"], [m["id"] for m in t["messages"]]) for t in threads] == [
        (thread, ids(*keys)) for thread, keys in ACME_THREADS
    ]
    proposal = threads[-1]
    assert proposal["subject"] == "Proposal question"
    assert [(m["direction"], m["sender"]) for m in proposal["messages"]] == [
        ("in", "jo@acme.example"),
        ("out", "ann@ourco.example"),
    ]


def test_client_show_text_has_arrows_and_indented_replies(root: Path) -> None:
    result = run("-w", root, "client", "show", "acme")
    assert result.code == 0, result.err
    threads = result.out.split("Mail threads\n", 1)[1].splitlines()
    assert threads == [
        "when\tdir\tfrom\tsubject",
        "2026-11-10 10:00\t→\tann@ourco.example\tIntro: Acme, meet Globex",
        "2026-11-09 12:00\t←\tjo@acme.example\tbroken \ufffd\ufffd stuff",
        "2026-11-04 10:00\t←\tsales@eu.acme.example\tInvoice 42",
        "2026-11-02 10:00\t←\tjo@acme.example\tProposal question",
        "2026-11-03 10:00\t→\tann@ourco.example\t  ↳ Re: Proposal question",
    ]
    assert "2026-11-03 10:00\temail →\tRe: Proposal question\tann" in result.out


def test_a_card_without_mail_has_no_threads(root: Path) -> None:
    result = run("-w", root, "client", "show", "initech", "--json")
    assert [t["subject"] for t in json.loads(result.out)["mail_threads"]] == ["Привет"]
    empty = run("-w", root, "client", "add", "Nomail Ltd")
    assert empty.code == 0, empty.err
    shown = run("-w", root, "client", "show", "nomail-ltd")
    assert "Mail threads" not in shown.out


def test_the_tui_card_shows_mail_threads(root: Path) -> None:
    app = make_app(root)

    async def scenario(pilot: Pilot[Any]) -> None:
        app.open_client("acme")
        await settle(pilot)
        table = app.screen.query_one(SectionTable)
        mail = next(s for s in table.sections if s.id == "mail")
        assert [r.target.id for r in mail.rows] == [
            i for _, keys in ACME_THREADS for i in ids(*keys)
        ]
        assert [r.cells[1] for r in mail.rows[-2:]] == [
            "← Proposal question",
            "  ↳ → Re: Proposal question",
        ]
        assert mail.rows[-1].cells[2] == "ann@ourco.example"
        timeline = next(s for s in table.sections if s.id == "timeline")
        assert "email →: Intro: Acme, meet Globex" in [r.cells[1] for r in timeline.rows]

    drive(app, scenario)
