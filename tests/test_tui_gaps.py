"""The TUI's day-one gaps (issue 17): each flow typed as a user types it, checked on the
record files and the git commits it leaves behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Select, Static

from tcrm.tui.screens.dialogs import RescheduleDialog
from tcrm.tui.screens.forms import ActivityForm, ClientForm, DealEditForm, TaskEditForm
from tcrm.tui.screens.pipeline import PipelineScreen
from tcrm.tui.screens.tasks import TasksScreen
from tcrm.tui.screens.today import TodayScreen
from tcrm.tui.widgets.board import CardList
from tests.clitools import commit_count, status_clean
from tests.test_tui_pilot import (
    drive,
    field_error,
    load,
    make_app,
    open_form,
    settle,
    subject,
    table_of,
    type_into,
)

# --- reschedule: the typed date wins ---------------------------------------------------


def test_reschedule_saves_the_typed_date_not_the_first_option(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    commits = commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        assert table_of(app).select_target("task", "t42vrgh2")
        await pilot.press("r")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, RescheduleDialog)
        await pilot.press(*"fri 14:00")  # no click, no tab: just typed
        await pilot.pause()
        preview = str(dialog.query_one("#reschedule-preview", Static).render())
        assert "Fri 27 Nov 14:00" in preview
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)

    drive(app, scenario)
    assert load(sample_ws / "tasks" / "t42vrgh2.yaml")["due"] == "2026-11-27T14:00"
    assert commit_count(sample_ws) == commits + 1
    assert subject(sample_ws) == "task t42vrgh2: snooze to 2026-11-27T14:00"
    assert status_clean(sample_ws)


def test_reschedule_quick_choice_previews_what_enter_saves(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        assert table_of(app).select_target("task", "t42vrgh2")
        await pilot.press("r")
        await settle(pilot)
        dialog = app.screen
        await pilot.press("down", "down")  # into the quick choices, then the second one
        preview = str(dialog.query_one("#reschedule-preview", Static).render())
        assert preview == "→ In two days: Wed 25 Nov 2026"
        await pilot.press("m")  # typing again goes to the text, and the text wins
        await pilot.press(*"on")
        preview = str(dialog.query_one("#reschedule-preview", Static).render())
        assert preview == "→ Mon 30 Nov 2026"
        await pilot.press("down")  # back on the choice it left: that one is shown again
        preview = str(dialog.query_one("#reschedule-preview", Static).render())
        assert preview == "→ In two days: Wed 25 Nov 2026"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)

    drive(app, scenario)
    assert load(sample_ws / "tasks" / "t42vrgh2.yaml")["due"] == "2026-11-25"
    assert subject(sample_ws) == "task t42vrgh2: snooze to 2026-11-25"


# --- log: a leading KIND: in the summary ------------------------------------------------


def test_activity_form_summary_prefix_must_agree_with_the_kind(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        app.action_log()
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ActivityForm)
        await type_into(pilot, "#field-about", "cafe-lumiere")
        await type_into(pilot, "#field-summary", "email: sent the deck")
        assert field_error(app, "summary") == "starts with email: but Kind is call"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ActivityForm)  # refused, nothing written
        form.query_one("#field-kind", Select).value = "email"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ActivityForm)

    drive(app, scenario)
    activity_id = subject(sample_ws).split()[1].rstrip(":")
    assert subject(sample_ws) == f"activity {activity_id}: email cafe-lumiere"
    data = load(sample_ws / "activities" / "2026" / f"{activity_id}.yaml")
    assert (data["kind"], data["summary"]) == ("email", "sent the deck")


# --- the task edit form: dates as people type them, repeat and contacts ----------------


def test_task_edit_form_takes_typed_dates_repeat_and_contacts(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    commits = commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("4")
        await settle(pilot)
        assert isinstance(app.screen, TasksScreen)
        assert table_of(app).select_target("task", "t42vrgh2")  # chloe's, Quantum Ledger
        form = await open_form(pilot, "e")
        assert isinstance(form, TaskEditForm)
        await type_into(pilot, "#field-due", "fri")
        assert field_error(app, "due") == ""
        await type_into(pilot, "#field-due", "tomorrow 25:00")
        assert "not a time" in field_error(app, "due")
        await type_into(pilot, "#field-due", "tomorrow 11:00")
        assert field_error(app, "due") == ""
        await type_into(pilot, "#field-repeat", "fortnightly-ish")
        assert "daily, weekdays" in field_error(app, "repeat")
        await type_into(pilot, "#field-repeat", "weekly")
        assert field_error(app, "repeat") == ""
        await type_into(pilot, "#field-contacts", "Nobody Known")
        assert "Nobody Known" in field_error(app, "contacts")
        await type_into(pilot, "#field-contacts", "sanne jansen, Bram Peeters")
        assert field_error(app, "contacts") == ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TasksScreen)

    drive(app, scenario)
    assert commit_count(sample_ws) == commits + 1
    assert subject(sample_ws) == "task t42vrgh2: set contacts, due, repeat"
    data = load(sample_ws / "tasks" / "t42vrgh2.yaml")
    assert data["due"] == "2026-11-24T11:00"
    assert data["repeat"] == "FREQ=WEEKLY"
    assert data["contacts"] == ["Sanne Jansen", "Bram Peeters"]  # as the client spells them
    assert status_clean(sample_ws)


def test_new_task_form_has_repeat_and_contacts_too(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("4")
        await settle(pilot)
        await open_form(pilot, "n")
        await type_into(pilot, "#field-title", "Weekly call with Sanne")
        await type_into(pilot, "#field-repeat", "weekly")
        assert field_error(app, "repeat") == "a repeating task needs a due date"
        await type_into(pilot, "#field-due", "fri 14:00")
        assert field_error(app, "repeat") == ""
        await type_into(pilot, "#field-contacts", "sanne.jansen@quantumledger.eu")
        assert field_error(app, "contacts") == ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TasksScreen)

    drive(app, scenario)
    task_id = subject(sample_ws).split()[1].rstrip(":")
    data = load(sample_ws / "tasks" / f"{task_id}.yaml")
    assert (data["due"], data["repeat"]) == ("2026-11-27T14:00", "FREQ=WEEKLY")
    assert (data["contacts"], data["clients"]) == (["Sanne Jansen"], ["quantum-ledger-bv"])


# --- refusals: the override is a key or a button, never "pass --force" -----------------


def board_message(app: Any) -> str:
    return str(app.screen.query_one("#board-message", Static).render())


def test_a_refused_move_offers_f_to_move_anyway_recorded_as_forced(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    deal = "pixelforge-community-website"  # a lead without an amount
    commits = commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, PipelineScreen)
        lead = app.screen.query_one("#cards-lead", CardList)
        lead.focus()
        assert lead.select_deal(deal)
        await pilot.press("l")  # lead -> qualified
        await settle(pilot)
        await pilot.press("l")  # qualified -> proposal: proposal needs an amount
        await settle(pilot)
        text = board_message(app)
        assert text.startswith("Refused: ") and "needs amount to enter stage proposal" in text
        assert "--force" not in text
        assert text.endswith("Press f to move anyway (recorded as forced).")
        await pilot.press("f")
        await settle(pilot)
        assert board_message(app).startswith(f"{deal}: qualified → proposal (forced)")
        await pilot.press("f")  # the override is spent: nothing happens twice
        await settle(pilot)
        assert board_message(app).startswith("Nothing to override")

    drive(app, scenario)
    assert commit_count(sample_ws) == commits + 2
    assert subject(sample_ws).startswith(f"deal {deal}: qualified -> proposal (forced)")
    data = load(sample_ws / "deals" / f"{deal}.yaml")
    assert data["stage"] == "proposal"
    assert data["stage_history"][-1]["forced"] is True
    assert status_clean(sample_ws)


def test_a_stale_refusal_is_cleared_by_a_later_success(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    deal = "pixelforge-community-website"

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("2")
        await settle(pilot)
        lead = app.screen.query_one("#cards-lead", CardList)
        lead.focus()
        assert lead.select_deal(deal)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert board_message(app).startswith("Refused: ")
        await pilot.press("e")  # the deal's edit form: a change that says nothing on the board
        await settle(pilot)
        assert isinstance(app.screen, DealEditForm)
        await type_into(pilot, "#field-amount", "4500")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PipelineScreen)
        assert board_message(app) == ""

    drive(app, scenario)
    assert load(sample_ws / "deals" / f"{deal}.yaml")["amount"] == "4500"


def test_a_duplicate_client_can_be_added_anyway_with_the_button(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    commits = commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        app.action_new_client()
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ClientForm)
        assert not form.query_one("#form-override").display  # offered only when refused
        await type_into(pilot, "#field-name", "ACME Logistics GmbH")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientForm)
        message = str(form.query_one("#form-message", Static).render())
        assert "client 'acme-logistics' (Acme Logistics) has the same name" in message
        assert "--force" not in message and "Add anyway with ctrl+f" in message
        assert form.query_one("#form-override").display
        await pilot.click("#form-override")
        await settle(pilot)
        assert not isinstance(app.screen, ClientForm)

    drive(app, scenario)
    assert commit_count(sample_ws) == commits + 1
    assert subject(sample_ws) == "client acme-logistics-gmbh: add"
    assert load(sample_ws / "clients" / "acme-logistics-gmbh.yaml")["name"] == "ACME Logistics GmbH"
