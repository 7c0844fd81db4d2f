"""The TUI's add forms equal the CLI's add commands (issue 22).

Each form is filled in every field it has; the record it writes is compared with what
the CLI command given the same options writes in a copy of the same workspace (the same
service behind both), down to the commit subject. A refusal the CLI lets you override
with ``--force`` is offered as a button and recorded exactly as ``--force`` records it.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, Static

from tcrm.tui.screens.forms import ActivityForm, ClientForm, DealForm, FormScreen, TaskForm
from tests.clitools import commit_count, git, run, snapshot, status_clean
from tests.test_tui_pilot import drive, field_error, load, make_app, settle, type_into

CUSTOM = """\
fields:
  client:
    industry: {type: choice, choices: [logistics, retail, health]}
    partner: {type: bool}
    channels: {type: multi, choices: [web, phone, shop]}
  deal:
    competitor: {type: text}
  task:
    effort: {type: number}
  activity:
    mood: {type: choice, choices: [good, bad]}
"""


@pytest.fixture
def twins(sample_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The sample workspace with a custom field per kind, and a copy for the CLI."""
    settings = sample_ws / "tcrm.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + CUSTOM, encoding="utf-8")
    git(sample_ws, "commit", "-qam", "custom fields")
    cli_ws = tmp_path / "cli-ws"
    shutil.copytree(sample_ws, cli_ws, symlinks=True)
    return sample_ws, cli_ws


def cli(root: Path, *args: str) -> None:
    result = run("-w", str(root), *args)
    assert result.code == 0, result.err


def new_files(root: Path, before: dict[str, bytes]) -> dict[str, list[dict[str, Any]]]:
    """The record files added since ``before``, by folder, as data in a stable order
    (their names left out: a task's or activity's id is random)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(set(snapshot(root)) - set(before)):
        out.setdefault(name.split("/")[0], []).append(load(root / name))
    return {k: sorted(v, key=lambda d: json.dumps(d, sort_keys=True)) for k, v in out.items()}


RANDOM = {"series"}
"""Fields made from a new random id (a repeating task's series is its first id)."""


def same(tui: dict[str, Any], by_cli: dict[str, Any]) -> None:
    """The same records, or which fields differ."""
    assert sorted(tui) == sorted(by_cli)
    for folder, records in tui.items():
        assert len(records) == len(by_cli[folder]), folder
        for mine, theirs in zip(records, by_cli[folder], strict=True):
            differ = {
                k: (mine.get(k), theirs.get(k))
                for k in set(mine) | set(theirs)
                if mine.get(k) != theirs.get(k) and k not in RANDOM
            }
            assert not differ, f"{folder}: TUI vs CLI {differ}"


def subject_without_ids(root: Path) -> str:
    subject = git(root, "log", "-1", "--format=%s").strip()
    return re.sub(r"\b(task|activity) [a-z0-9]{8}\b", r"\1 ID", subject)


async def fill(pilot: Pilot[Any], values: dict[str, Any]) -> None:
    """Each field set as a person sets it: text typed in, a choice picked, a box ticked."""
    form = pilot.app.screen
    assert isinstance(form, FormScreen)
    for name, value in values.items():
        widget = form.query_one(f"#field-{name}")
        if isinstance(widget, (Select, Checkbox)):
            widget.value = value
        else:
            assert isinstance(widget, Input)
            widget.value = value
        await pilot.pause()
    missing = {f.name for f in form._fields} - set(values)
    assert not missing, f"fields not filled: {missing}"


def save_form(app: Any, form_type: type, values: dict[str, Any], opener: Any) -> None:
    async def scenario(pilot: Pilot[Any]) -> None:
        opener()
        await settle(pilot)
        assert isinstance(app.screen, form_type)
        await fill(pilot, values)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, FormScreen), str(
            app.screen.query_one("#form-message", Static).render()
        )

    drive(app, scenario)


def test_client_form_writes_what_client_add_writes(twins: tuple[Path, Path]) -> None:
    tui_ws, cli_ws = twins
    before = snapshot(tui_ws)
    app = make_app(tui_ws)
    save_form(
        app,
        ClientForm,
        {
            "name": "Zephyr Robotics",
            "type": "company",
            "emails": "hello@zephyr.io, sales@zephyr.io",
            "phones": "+49 30 1234567",
            "website": "https://zephyr.io",
            "contact": "Jane Doe <jane@zephyr.io>; Max Muster",
            "status": "prospect",
            "owner": "ben",
            "source": "event",
            "region": "DACH",
            "tags": "startup, vip",
            "cadence_days": "30",
            "notes": "Met at the robotics fair",
            "industry": "retail",
            "partner": True,
            "channels": "web, shop",
        },
        app.action_new_client,
    )
    cli(
        cli_ws,
        "client",
        "add",
        "Zephyr Robotics",
        "--type=company",
        "--email=hello@zephyr.io",
        "--email=sales@zephyr.io",
        "--phone=+49 30 1234567",
        "--website=https://zephyr.io",
        "--contact=Jane Doe <jane@zephyr.io>",
        "--contact=Max Muster",
        "--status=prospect",
        "--owner=ben",
        "--source=event",
        "--region=DACH",
        "--tag=startup",
        "--tag=vip",
        "--cadence=30",
        "--note=Met at the robotics fair",
        "--set=industry=retail",
        "--set=partner=true",
        "--set=channels=web,shop",
    )
    tui, by_cli = new_files(tui_ws, before), new_files(cli_ws, before)
    assert list(tui) == ["clients"]
    same(tui, by_cli)
    assert tui["clients"][0]["contacts"][1] == {"name": "Max Muster"}
    assert tui["clients"][0]["channels"] == ["web", "shop"]
    assert subject_without_ids(tui_ws) == subject_without_ids(cli_ws)
    assert status_clean(tui_ws)


def test_task_form_writes_what_task_add_writes(twins: tuple[Path, Path]) -> None:
    tui_ws, cli_ws = twins
    before = snapshot(tui_ws)
    app = make_app(tui_ws)
    save_form(
        app,
        TaskForm,
        {
            "title": "Walk Sanne through the API",
            "due": "fri 14:00",
            "assignee": "ben",
            "priority": "high",
            "clients": "quantum-ledger-bv",
            "deals": "quantum-ledger-integration-partnership",
            "contacts": "Sanne Jansen",
            "repeat": "weekly",
            "reminders": "30m, 1d",
            "duration": "45",
            "timezone": "Europe/London",
            "notes": "bring the roadmap",
            "effort": "3",
        },
        lambda: app.push_screen(TaskForm()),
    )
    cli(
        cli_ws,
        "task",
        "add",
        "Walk Sanne through the API",
        "--due=fri 14:00",
        "--assignee=ben",
        "--priority=high",
        "--client=quantum-ledger-bv",
        "--deal=quantum-ledger-integration-partnership",
        "--contact=Sanne Jansen",
        "--repeat=weekly",
        "--remind=30m",
        "--remind=1d",
        "--duration=45",
        "--tz=Europe/London",
        "--note=bring the roadmap",
        "--set=effort=3",
    )
    tui, by_cli = new_files(tui_ws, before), new_files(cli_ws, before)
    assert list(tui) == ["tasks"]
    same(tui, by_cli)
    task = tui["tasks"][0]
    assert (task["due"], task["timezone"], task["duration"]) == (
        "2026-11-27T14:00",
        "Europe/London",
        "45",
    )
    assert subject_without_ids(tui_ws) == subject_without_ids(cli_ws)


def test_deal_form_writes_what_deal_add_writes(twins: tuple[Path, Path]) -> None:
    tui_ws, cli_ws = twins
    before = snapshot(tui_ws)
    app = make_app(tui_ws)
    save_form(
        app,
        DealForm,
        {
            "title": "Ledger API",
            "client": "quantum-ledger-bv",
            "pipeline": "sales",
            "stage": "qualified",
            "amount": "12,000.50",
            "currency": "EUR",
            "close_date": "eom",
            "probability": "40",
            "owner": "chloe",
            "source": "referral",
            "tags": "startup, vip",
            "contacts": "sanne.jansen@quantumledger.eu",
            "competitor": "Acme Soft",
        },
        lambda: app.push_screen(DealForm()),
    )
    cli(
        cli_ws,
        "deal",
        "add",
        "Ledger API",
        "--client=quantum-ledger-bv",
        "--pipeline=sales",
        "--stage=qualified",
        "--amount=12,000.50",
        "--currency=EUR",
        "--close-date=eom",
        "--probability=40",
        "--owner=chloe",
        "--source=referral",
        "--tag=startup",
        "--tag=vip",
        "--contact=sanne.jansen@quantumledger.eu",
        "--set=competitor=Acme Soft",
    )
    tui, by_cli = new_files(tui_ws, before), new_files(cli_ws, before)
    assert "deals" in tui
    same(tui, by_cli)
    assert (
        tui["deals"][0]["contacts"] == ["Sanne Jansen"] and tui["deals"][0]["probability"] == "40"
    )
    assert subject_without_ids(tui_ws) == subject_without_ids(cli_ws)


def test_activity_form_writes_what_log_writes(twins: tuple[Path, Path]) -> None:
    tui_ws, cli_ws = twins
    before = snapshot(tui_ws)
    app = make_app(tui_ws)
    save_form(
        app,
        ActivityForm,
        {
            "kind": "meeting",
            "about": "quantum-ledger-bv, Sanne Jansen",
            "summary": "Went through the API plan",
            "outcome": "wants a quote",
            "at": "today 08:30",
            "author": "ben",
            "notes": "she shares the board's worries",
            "next": "Send the quote",
            "next_due": "+2d",
            "next_assignee": "chloe",
            "mood": "good",
        },
        lambda: app.push_screen(ActivityForm()),
    )
    cli(
        cli_ws,
        "log",
        "quantum-ledger-bv",
        "Sanne Jansen",
        "Went through the API plan",
        "--kind=meeting",
        "--outcome=wants a quote",
        "--at=today 08:30",
        "--author=ben",
        "--note=she shares the board's worries",
        "--next=Send the quote",
        "--next-due=+2d",
        "--next-assignee=chloe",
        "--set=mood=good",
    )
    tui, by_cli = new_files(tui_ws, before), new_files(cli_ws, before)
    assert sorted(tui) == ["activities", "tasks"]
    same(tui, by_cli)
    assert tui["activities"][0]["author"] == "ben" and tui["activities"][0]["mood"] == "good"
    assert subject_without_ids(tui_ws) == subject_without_ids(cli_ws)


# --- the override: a button, recorded as --force records it ---------------------------


def test_deal_form_offers_add_anyway_recorded_like_force(twins: tuple[Path, Path]) -> None:
    tui_ws, cli_ws = twins
    before, commits = snapshot(tui_ws), commit_count(tui_ws)
    app = make_app(tui_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        app.push_screen(DealForm(client="quantum-ledger-bv"))
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DealForm)
        assert not form.query_one("#form-override").display
        await type_into(pilot, "#field-title", "Ledger audit")
        form.query_one("#field-stage", Select).value = "proposal"  # needs an amount
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DealForm)  # refused: nothing written
        assert snapshot(tui_ws) == before and commit_count(tui_ws) == commits
        message = str(form.query_one("#form-message", Static).render())
        assert "--force" not in message
        assert "Add anyway with ctrl+f (recorded as forced)" in message
        assert field_error(app, "amount") == "stage proposal needs amount"
        assert form.query_one("#form-override").display
        await pilot.click("#form-override")
        await settle(pilot)
        assert not isinstance(app.screen, DealForm)

    drive(app, scenario)
    cli(
        cli_ws,
        "deal",
        "add",
        "Ledger audit",
        "--client=quantum-ledger-bv",
        "--stage=proposal",
        "--force",
    )
    tui, by_cli = new_files(tui_ws, before), new_files(cli_ws, before)
    same(tui, by_cli)
    assert tui["deals"][0]["stage_history"][-1]["forced"] is True
    assert subject_without_ids(tui_ws) == subject_without_ids(cli_ws)
    assert commit_count(tui_ws) == commits + 1


def test_a_refusal_no_override_lifts_offers_no_button(twins: tuple[Path, Path]) -> None:
    tui_ws, _ = twins
    before = snapshot(tui_ws)
    app = make_app(tui_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        app.push_screen(DealForm(client="quantum-ledger-bv"))
        await settle(pilot)
        form = app.screen
        await type_into(pilot, "#field-title", "Ledger audit")
        await type_into(pilot, "#field-contacts", "Nobody Known")
        form.query_one("#field-stage", Select).value = "proposal"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DealForm)
        assert "not a contact of client quantum-ledger-bv" in field_error(app, "contacts")
        assert not form.query_one("#form-override").display  # forcing would not help
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert isinstance(app.screen, DealForm)

    drive(app, scenario)
    assert snapshot(tui_ws) == before


# --- completion from the workspace's lists ----------------------------------------------


def test_tags_complete_from_the_workspace_tags_item_by_item(twins: tuple[Path, Path]) -> None:
    tui_ws, _ = twins
    app = make_app(tui_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        app.action_new_client()
        await settle(pilot)
        await type_into(pilot, "#field-tags", "sta")
        await pilot.press("right")  # accepts the suggestion, as in any Input
        tags = app.screen.query_one("#field-tags", Input)
        assert tags.value == "startup"
        await pilot.press(*", E")
        await pilot.pause()
        await pilot.press("right")
        assert tags.value == "startup, Enterprise"  # any case; the item as typed so far
        await pilot.press(*", st")
        await pilot.pause()
        await pilot.press("right")
        assert tags.value == "startup, Enterprise, st"  # startup is given already

    drive(app, scenario)


def test_deal_contacts_complete_from_the_chosen_client(twins: tuple[Path, Path]) -> None:
    tui_ws, _ = twins
    app = make_app(tui_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        app.push_screen(DealForm(client="quantum-ledger-bv"))
        await settle(pilot)
        await type_into(pilot, "#field-contacts", "Sanne Jansen, br")
        await pilot.press("right")
        value = app.screen.query_one("#field-contacts", Input).value
        assert value == "Sanne Jansen, bram Peeters"

    drive(app, scenario)
