"""ICS change signals that never lie: SEQUENCE only grows for a UID, and every change to
an event's text or times (its own record's, or a linked client's or deal's shown in it)
bumps SEQUENCE and LAST-MODIFIED. The feed is read back with vobject, a parser
independent of the icalendar library that writes it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import vobject

from tcrm.model.records import Client, Deal, Task
from tcrm.services.setup import init_workspace
from tests.clitools import git, run
from tests.teamtools import edit, put

DOMAIN = "seq-co.tcrm"
TASK = f"task-tcall001@{DOMAIN}"


def moment(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
def ws(tmp_path: Path, as_user) -> Path:
    """A task linked to a client (with a website) and a deal (with an amount), each
    committed on its own day."""
    as_user("ann")
    root = init_workspace(tmp_path / "ws", name="Seq Co").root
    put(
        root,
        "client acme: add",
        Client(id="acme", name="Acme", website="https://acme.example"),
        Client(id="beta", name="Beta", website="https://beta.example"),
        create=True,
        when=moment(1),
    )
    put(
        root,
        "deal acme-site: add",
        Deal(id="acme-site", title="Acme site", client="acme", pipeline="sales", stage="lead"),
        create=True,
        when=moment(2),
    )
    put(
        root,
        "task tcall001: add",
        Task(
            id="tcall001",
            title="Call Acme",
            due="2026-12-01",
            clients=["acme"],
            deals=["acme-site"],
        ),
        create=True,
        when=moment(3),
    )
    return root


def events(root: Path) -> dict[str, Any]:
    result = run("-w", root, "ics", "export")
    assert result.code == 0, result.err
    calendar = vobject.readOne(result.out)
    return {e.uid.value: e for e in getattr(calendar, "vevent_list", [])}


def facts(event: Any) -> tuple[int, datetime, str, str]:
    url = event.url.value if hasattr(event, "url") else ""
    return (
        int(event.sequence.value),
        event.last_modified.value,
        event.description.value,
        url,
    )


def test_sequence_never_goes_down_when_an_uncommitted_edit_is_discarded(ws) -> None:
    first = facts(events(ws)[TASK])
    path = ws / "tasks" / "tcall001.yaml"
    committed = path.read_text(encoding="utf-8")
    path.write_text(committed.replace("Call Acme", "Call Acme today"), encoding="utf-8")
    edited = events(ws)[TASK]
    assert facts(edited)[0] >= first[0]
    # the feed shows committed records only: the same entry until the edit is committed
    assert edited.summary.value == "Call Acme" and facts(edited) == first
    git(ws, "checkout", "--", "tasks/tcall001.yaml")
    assert facts(events(ws)[TASK])[0] >= facts(edited)[0]


@pytest.mark.parametrize(
    ("kind", "record_id", "changes", "shown"),
    [
        ("client", "acme", {"website": "https://acme.example/new"}, "acme.example/new"),
        ("deal", "acme-site", {"amount": "12000"}, "12,000"),
    ],
)
def test_a_linked_record_shown_in_the_text_bumps_sequence_and_last_modified(
    ws, kind, record_id, changes, shown
) -> None:
    before = facts(events(ws)[TASK])
    edit(ws, kind, record_id, f"{kind} {record_id}: change", when=moment(10), **changes)
    after = facts(events(ws)[TASK])
    assert shown in after[2] + after[3] and shown not in before[2] + before[3]
    assert after[0] > before[0]
    assert after[1] > before[1] and after[1] == moment(10)


def test_linking_another_client_never_lowers_sequence(ws) -> None:
    for day in (4, 5, 6, 7):  # acme changes often; beta never
        edit(ws, "client", "acme", f"client acme: note {day}", when=moment(day), notes=f"{day}")
    linked_to_acme = facts(events(ws)[TASK])
    edit(ws, "task", "tcall001", "task tcall001: beta", when=moment(8), clients=["beta"], deals=[])
    linked_to_beta = facts(events(ws)[TASK])
    assert "beta.example" in linked_to_beta[3]
    assert linked_to_beta[0] > linked_to_acme[0]
    assert linked_to_beta[1] == moment(8)


def test_every_change_of_the_event_bumps_sequence_along_a_history(ws) -> None:
    """Replaying history commit by commit: whenever the event's text or times differ from
    the previous commit's, SEQUENCE is higher; it never goes down."""
    edit(ws, "client", "acme", "client acme: name", when=moment(4), name="Acme Inc")
    edit(ws, "client", "beta", "client beta: notes", when=moment(5), notes="unrelated")
    edit(ws, "task", "tcall001", "task tcall001: later", when=moment(6), due="2026-12-02")
    edit(ws, "deal", "acme-site", "deal acme-site: stage", when=moment(7), stage="qualified")
    commits = git(ws, "rev-list", "--reverse", "HEAD").split()
    seen: list[tuple[int, str]] = []
    for commit in commits:
        git(ws, "checkout", "-q", commit)
        event = events(ws).get(TASK)
        if event is None:
            continue
        text = event.description.value + str(event.dtstart.value) + event.summary.value
        sequence = int(event.sequence.value)
        if seen:
            previous_sequence, previous_text = seen[-1]
            assert sequence >= previous_sequence
            if text != previous_text:
                assert sequence > previous_sequence, (commit, text)
        seen.append((sequence, text))
    assert len({s for s, _ in seen}) == 4  # the task's add, the name, the due day, the stage
