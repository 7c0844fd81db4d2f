"""The TUI driven end to end with Textual's pilot, on a copy of the sample workspace.

Every flow is checked on what it leaves behind: the record files and the git commits
(exactly one per change, with the CLI's message), never on widget internals alone.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.color import Color
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select, Static
from textual.worker import WorkerState

from tcrm.store import yamlio
from tcrm.store.workspace import Workspace
from tcrm.tui.app import TcrmApp
from tcrm.tui.commands import commands
from tcrm.tui.screens.client_card import ClientCardScreen
from tcrm.tui.screens.clients import ClientsScreen
from tcrm.tui.screens.dialogs import LostReasonDialog, RescheduleDialog
from tcrm.tui.screens.forms import ActivityForm, ClientForm, DealForm, FormScreen, TaskForm
from tcrm.tui.screens.kb import KbScreen
from tcrm.tui.screens.pipeline import PipelineScreen
from tcrm.tui.screens.tasks import TasksScreen
from tcrm.tui.screens.today import TodayScreen
from tcrm.tui.widgets.board import CardList
from tcrm.tui.widgets.rows import RowsView
from tcrm.tui.widgets.section_table import SectionTable
from tests.clitools import NOW, commit_count, git, run, snapshot, status_clean

FIXED = datetime.fromisoformat(NOW)
SIZE = (100, 30)


# --- driving the app -------------------------------------------------------------------


class Clock:
    """A clock a test can move forward."""

    def __init__(self, start: datetime = FIXED) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def make_app(root: Path, clock: Callable[[], datetime] | None = None, **options: Any) -> TcrmApp:
    options.setdefault("poll_seconds", None)
    app = TcrmApp(Workspace.open(root), clock=clock or (lambda: FIXED), quiet=True, **options)
    _record_notifications(app)
    return app


_NOTIFIED: weakref.WeakKeyDictionary[TcrmApp, list[str]] = weakref.WeakKeyDictionary()


def _record_notifications(app: TcrmApp) -> None:
    """Keep every message the app shows (Textual has no public list of notifications)."""
    shown = _NOTIFIED[app] = []
    show = app.notify

    def notify(message: str, *args: Any, **kwargs: Any) -> None:
        shown.append(message)
        show(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]


def _busy(app: TcrmApp) -> bool:
    return any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers)


async def settle(pilot: Pilot[Any]) -> None:
    """Until every worker has finished and what it posted back has been handled."""
    app = pilot.app
    quiet_rounds = 0
    for _ in range(400):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if _busy(app):
            quiet_rounds = 0
            continue
        quiet_rounds += 1
        if quiet_rounds >= 3:
            return
    raise AssertionError("the app never settled")


def drive(app: TcrmApp, scenario: Callable[[Pilot[Any]], Awaitable[None]], size=SIZE) -> None:
    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await scenario(pilot)

    asyncio.run(main())


def table_of(app: TcrmApp) -> SectionTable:
    return app.screen.query_one(SectionTable)


def row_ids(table: SectionTable) -> list[tuple[str, str]]:
    return [(t.kind, t.id) for t in table.targets.values()]


def load(path: Path) -> dict[str, Any]:
    """A record file as plain data, read as tcrm reads it (dates stay text)."""
    return yamlio.load_fast(path.read_text(encoding="utf-8"))


def subject(root: Path) -> str:
    return git(root, "log", "-1", "--format=%s").strip()


def notifications(app: TcrmApp) -> list[str]:
    """Every message the app has shown since it was made."""
    return list(_NOTIFIED[app])


async def type_into(pilot: Pilot[Any], selector: str, text: str, *, keys: bool = False) -> None:
    """``text`` in the field, the cursor after it, and what the change set off handled.

    The field is focused and given the whole text at once: the form hears one
    ``Input.Changed`` with the final value, as after the last typed key (each key would
    cost the app a layout). ``keys=True`` types it key by key, as a person does: the
    tests of typing itself use it."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.pause()
    if text and keys:
        await pilot.press(*text)
    elif text:
        field.value = text
        field.cursor_position = len(text)
    await pilot.pause()


def field_error(app: TcrmApp, name: str) -> str:
    return str(app.screen.query_one(f"#error-{name}", Static).render()).strip()


# --- Today -----------------------------------------------------------------------------


def test_today_shows_the_sections_of_tcrm_today(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        screen = app.screen
        assert isinstance(screen, TodayScreen) and screen.loaded
        table = table_of(app)
        sections = [s.id for s in table.sections]
        assert sections == ["overdue", "today", "upcoming", "reminders", "rotting", "contact"]
        overdue = next(s for s in table.sections if s.id == "overdue")
        assert [r.target.id for r in overdue.rows][:2] == ["tchj4hab", "t42vrgh2"]
        assert all(r.tone == "error" for r in overdue.rows)
        rotting = next(s for s in table.sections if s.id == "rotting")
        assert rotting.rows[0].target.id == "quantum-ledger-integration-partnership"
        contact = next(s for s in table.sections if s.id == "contact")
        assert [r.target.id for r in contact.rows] == ["cafe-lumiere", "maison-delacroix"]
        # the cursor starts on the first task, never on a heading
        assert table.target is not None and table.target.id == "tchj4hab"
        await pilot.press("up")
        assert table.target.id == "tchj4hab"
        await pilot.press("down")
        assert table.target.id == "t42vrgh2"

    drive(app, scenario)


def test_done_completes_the_task_in_one_commit(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    commits = commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        assert table_of(app).target.id == "tchj4hab"
        await pilot.press("d")
        await settle(pilot)
        assert ("task", "tchj4hab") not in row_ids(table_of(app))
        assert any("Done: Schedule a discovery call" in n for n in notifications(app))

    drive(app, scenario)
    data = load(sample_ws / "tasks" / "tchj4hab.yaml")
    assert data["status"] == "done"
    assert data["completed"] == "2026-11-23T09:00+01:00"
    assert commit_count(sample_ws) == commits + 1
    assert subject(sample_ws) == "task tchj4hab: done"
    assert status_clean(sample_ws)


def test_snooze_and_reschedule(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    commits = commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("s")  # the overdue task: to tomorrow
        await settle(pilot)
        assert subject(sample_ws) == "task tchj4hab: snooze to 2026-11-24"
        table = table_of(app)
        assert table.select_target("task", "t42vrgh2")
        await pilot.press("r")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, RescheduleDialog)
        await type_into(pilot, "#reschedule-text", "fri")
        preview = str(dialog.query_one("#reschedule-preview", Static).render())
        assert "Fri 27 Nov 2026" in preview
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)

    drive(app, scenario)
    assert load(sample_ws / "tasks" / "tchj4hab.yaml")["due"] == "2026-11-24"
    assert load(sample_ws / "tasks" / "t42vrgh2.yaml")["due"] == "2026-11-27"
    assert commit_count(sample_ws) == commits + 2
    assert subject(sample_ws) == "task t42vrgh2: snooze to 2026-11-27"
    assert status_clean(sample_ws)


def test_reschedule_refuses_a_bad_date_inline(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("r")
        await settle(pilot)
        await type_into(pilot, "#reschedule-text", "someday")
        note = app.screen.query_one("#reschedule-preview", Static)
        assert note.has_class("-error")
        assert "not a date" in str(note.render())
        await pilot.press("enter")  # refused: the dialog stays
        await settle(pilot)
        assert isinstance(app.screen, RescheduleDialog)
        await pilot.press("escape")
        await settle(pilot)

    drive(app, scenario)
    assert snapshot(sample_ws) == before
    assert commit_count(sample_ws) == commits


def test_log_a_call_with_a_follow_up(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    commits = commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        assert table_of(app).select_target("task", "tqqx7cud")  # Call Jana (acme-logistics)
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ActivityForm)
        # the task is about a deal: the call is logged on it (and so on its client)
        assert form.values()["about"] == "acme-logistics-driver-onboarding-app"
        assert form.values()["kind"] == "call"
        await type_into(pilot, "#field-summary", "wants a proposal for phase 2", keys=True)
        await type_into(pilot, "#field-next", "Send the phase 2 proposal", keys=True)
        await type_into(pilot, "#field-next_due", "fri", keys=True)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)

    drive(app, scenario)
    assert commit_count(sample_ws) == commits + 1
    message = subject(sample_ws)
    assert message.startswith("activity a") and " call acme-logistics + follow-up task t" in message
    activity_id = message.split()[1].rstrip(":")
    task_id = message.rsplit(" ", 1)[1]
    activity = load(sample_ws / "activities" / "2026" / f"{activity_id}.yaml")
    assert activity["kind"] == "call"
    assert activity["summary"] == "wants a proposal for phase 2"
    assert activity["clients"] == ["acme-logistics"]
    assert activity["deals"] == ["acme-logistics-driver-onboarding-app"]
    assert activity["at"] == "2026-11-23T09:00+01:00"
    task = load(sample_ws / "tasks" / f"{task_id}.yaml")
    assert task["title"] == "Send the phase 2 proposal"
    assert task["due"] == "2026-11-27"
    assert task["clients"] == ["acme-logistics"]
    assert status_clean(sample_ws)


def test_activity_form_shows_each_problem_next_to_its_field(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        app.action_log()
        await settle(pilot)
        await type_into(pilot, "#field-about", "no-such-client")
        assert "no-such-client" in field_error(app, "about")
        await type_into(pilot, "#field-at", "tomorrow")
        assert "in the future" in field_error(app, "at")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ActivityForm)
        assert field_error(app, "summary")  # required, shown once saving was tried

    drive(app, scenario)
    assert snapshot(sample_ws) == before
    assert commit_count(sample_ws) == commits


def test_a_form_names_fields_by_their_labels_not_as_options(sample_ws: Path) -> None:
    """A service's error names the field the form shows ("When"), never the CLI's ``--at``."""
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        app.action_log()
        await settle(pilot)
        await type_into(pilot, "#field-at", "tomorrow")
        shown = field_error(app, "at")
        assert shown.startswith("When 'tomorrow' is in the future (2026-11-24 12:00)")
        assert "--at" not in shown
        # a command to type stays a command line, whatever the front end
        assert shown.endswith("(or `tcrm log ... --next`)")

    drive(app, scenario)


def test_a_refusal_on_saving_is_shown_next_to_its_field(sample_ws: Path) -> None:
    """The service refuses after the form's own checks passed: its error carries the
    field, so the form shows it on that field's row, worded with the field's label."""
    app = make_app(sample_ws)
    from tcrm.errors import UsageError
    from tcrm.services import tasks

    with pytest.raises(UsageError) as refused:
        tasks.add_task(app.ws, title="x", due="whenever", now=FIXED)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("4")
        await settle(pilot)
        form = await open_form(pilot, "n")
        assert isinstance(form, TaskForm)
        form._refused(refused.value)
        await pilot.pause()
        assert field_error(app, "due").startswith("Due: 'whenever' is not a date; use ")
        assert str(form.query_one("#form-message", Static).render()).strip() == ""
        assert form.errors.keys() == {"due"}

    drive(app, scenario)


# --- the pipeline board ----------------------------------------------------------------


def board(app: TcrmApp) -> PipelineScreen:
    screen = app.screen
    assert isinstance(screen, PipelineScreen)
    return screen


def cards(app: TcrmApp, stage: str) -> CardList:
    return app.screen.query_one(f"#cards-{stage}", CardList)


def deal_stage(root: Path, deal_id: str) -> str:
    return load(root / "deals" / f"{deal_id}.yaml")["stage"]


def test_pipeline_board_columns_and_totals(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("2")
        await settle(pilot)
        screen = board(app)
        assert [c.stage_id for c in screen.query(CardList)] == [
            "lead",
            "qualified",
            "proposal",
            "negotiation",
        ]
        first = cards(app, "negotiation").cards[0]
        assert first.deal_id == "acme-logistics-driver-onboarding-app"
        assert first.client == load(sample_ws / "clients" / "acme-logistics.yaml")["name"]
        assert first.client == "Acme Logistics"  # the card names the client, not its id
        totals = str(screen.query_one("#stage-proposal .stage-totals", Static).render())
        assert "Σ 239,900 EUR" in totals and "w 119,950 EUR" in totals
        rotting = next(
            c
            for c in cards(app, "qualified").cards
            if c.deal_id == "brightwater-health-patient-portal-redesign"
        )
        assert rotting.idle_days == 30
        await pilot.press("p")  # the other pipeline
        await settle(pilot)
        assert [c.stage_id for c in screen.query(CardList)] == ["intro", "pilot", "agreement"]

    drive(app, scenario)


def test_move_a_deal_across_stages_and_a_refused_move(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    deal = "pixelforge-community-website"  # a lead without an amount
    commits = commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("2")
        await settle(pilot)
        lead = cards(app, "lead")
        lead.focus()
        assert lead.select_deal(deal)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert deal_stage(sample_ws, deal) == "qualified"
        assert subject(sample_ws) == f"deal {deal}: lead -> qualified"
        # the board follows the deal into its new column
        assert app.screen.focused is cards(app, "qualified")
        assert cards(app, "qualified").current_deal == deal
        before = snapshot(sample_ws)
        await pilot.press("l")  # proposal needs an amount: refused, said under the board
        await settle(pilot)
        message = app.screen.query_one("#board-message", Static)
        assert message.has_class("-error")
        text = str(message.render())
        assert text.startswith("Refused: ") and "needs amount to enter stage proposal" in text
        assert snapshot(sample_ws) == before
        assert deal_stage(sample_ws, deal) == "qualified"
        await pilot.press("h")  # and back: qualified's task is cancelled with the move
        await settle(pilot)
        assert deal_stage(sample_ws, deal) == "lead"
        message = str(app.screen.query_one("#board-message", Static).render())
        assert message == f"{deal}: qualified → lead, 1 stage task cancelled"

    drive(app, scenario)
    assert commit_count(sample_ws) == commits + 2
    history = load(sample_ws / "deals" / f"{deal}.yaml")["stage_history"]
    assert [h["stage"] for h in history[-2:]] == ["qualified", "lead"]
    tasks = {p.stem: load(p) for p in (sample_ws / "tasks").glob("*.yaml")}
    (made,) = (
        k
        for k, t in tasks.items()
        if t["title"] == "Schedule a discovery call" and t.get("deals") == [deal]
    )  # the qualified stage's task template
    assert (tasks[made]["status"], tasks[made]["from_stage"]) == ("cancelled", "qualified")
    assert subject(sample_ws) == f"deal {deal}: qualified -> lead; cancel stage task {made}"
    assert status_clean(sample_ws)


def test_drag_a_card_onto_another_column_with_the_mouse(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    deal = "brightwater-health-symptom-checker-prototype"  # the first lead card
    commits = commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("2")
        await settle(pilot)
        assert cards(app, "lead").cards[0].deal_id == deal
        # onto negotiation: the transition matrix refuses, and says so under the board
        await pilot.mouse_down("#cards-lead", offset=(3, 1))
        await pilot.mouse_up("#cards-negotiation", offset=(3, 1))
        await settle(pilot)
        text = str(app.screen.query_one("#board-message", Static).render())
        assert (
            "cannot move from lead to negotiation: allowed from lead: qualified, proposal" in text
        )
        assert commit_count(sample_ws) == commits
        # onto proposal: allowed (a lead may skip to proposal) and it has an amount
        await pilot.mouse_down("#cards-lead", offset=(3, 1))
        await pilot.mouse_up("#cards-proposal", offset=(3, 1))
        await settle(pilot)
        assert cards(app, "proposal").current_deal == deal
        # a click is not a drag: it only selects
        await pilot.click("#cards-qualified", offset=(3, 1))
        await settle(pilot)
        assert app.screen.focused is cards(app, "qualified")

    drive(app, scenario)
    assert deal_stage(sample_ws, deal) == "proposal"
    assert subject(sample_ws) == f"deal {deal}: lead -> proposal"
    assert commit_count(sample_ws) == commits + 1
    # the proposal stage's two task templates came with the move, in the same commit
    changed = git(sample_ws, "show", "--name-only", "--format=", "HEAD").split()
    assert len([p for p in changed if p.startswith("tasks/")]) == 2


def test_mark_a_deal_lost_with_a_reason(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    deal = "riverside-dental-online-booking"
    commits = commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("2")
        await settle(pilot)
        lead = cards(app, "lead")
        lead.focus()
        assert lead.select_deal(deal)
        await pilot.press("x")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, LostReasonDialog)
        options = dialog.query_one("#lost-reasons", OptionList)
        reasons = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert reasons == [
            "price",
            "timing",
            "competitor",
            "no budget",
            "no response",
            "scope",
            "in-house",
        ]
        await pilot.press("down", "enter")  # timing
        await settle(pilot)
        assert isinstance(app.screen, PipelineScreen)
        assert deal not in [c.deal_id for c in cards(app, "lead").cards]

    drive(app, scenario)
    data = load(sample_ws / "deals" / f"{deal}.yaml")
    assert data["status"] == "lost"
    assert data["lost_reason"] == "timing"
    assert data["closed"] == "2026-11-23"
    assert commit_count(sample_ws) == commits + 1
    assert subject(sample_ws) == f"deal {deal}: lead -> lost (timing)"
    assert status_clean(sample_ws)


def test_won_without_an_amount_is_refused_inline(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("2")
        await settle(pilot)
        lead = cards(app, "lead")
        lead.focus()
        assert lead.select_deal("pixelforge-community-website")
        await pilot.press("w")
        await settle(pilot)
        text = str(app.screen.query_one("#board-message", Static).render())
        assert "has no amount; a won deal needs one" in text

    drive(app, scenario)
    assert snapshot(sample_ws) == before
    assert commit_count(sample_ws) == commits


# --- clients ---------------------------------------------------------------------------


async def open_form(pilot: Pilot[Any], key: str) -> FormScreen:
    await pilot.press(key)
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, FormScreen)
    return form


def test_add_a_client_invalid_email_rejected_then_valid_written(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("3")
        await settle(pilot)
        form = await open_form(pilot, "n")
        assert isinstance(form, ClientForm)
        await type_into(pilot, "#field-name", "Nordwind Labs")
        await type_into(pilot, "#field-emails", "hello-at-nordwind")
        # shown next to the field as you type
        assert "'hello-at-nordwind' is not an email address" in field_error(app, "emails")
        assert form.query_one("#row-emails").has_class("-invalid")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # refused: the form stays, nothing written
        assert snapshot(sample_ws) == before
        assert commit_count(sample_ws) == commits
        await type_into(pilot, "#field-emails", "hello@nordwind-labs.io")
        assert field_error(app, "emails") == ""
        await type_into(pilot, "#field-contact", "Mia Nord <mia@nordwind-labs.io>")
        form.query_one("#field-status", Select).value = "lead"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert app.screen.current_id() == "nordwind-labs"

    drive(app, scenario)
    data = load(sample_ws / "clients" / "nordwind-labs.yaml")
    assert data["name"] == "Nordwind Labs"
    assert data["emails"] == ["hello@nordwind-labs.io"]
    assert data["status"] == "lead"
    assert data["contacts"] == [{"name": "Mia Nord", "emails": ["mia@nordwind-labs.io"]}]
    assert data["created"] == "2026-11-23T09:00+01:00"
    assert commit_count(sample_ws) == commits + 1
    assert subject(sample_ws) == "client nordwind-labs: add"
    assert status_clean(sample_ws)


def test_a_duplicate_client_is_refused_in_the_form(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        app.action_new_client()
        await settle(pilot)
        await type_into(pilot, "#field-name", "ACME Logistics GmbH")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientForm)
        message = str(app.screen.query_one("#form-message", Static).render())
        assert "client 'acme-logistics' (Acme Logistics) has the same name" in message

    drive(app, scenario)
    assert snapshot(sample_ws) == before
    assert commit_count(sample_ws) == commits


def test_slash_filters_sort_and_open_the_client_card(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClientsScreen)
        table = screen.query_one("#clients-table", RowsView)
        assert table.row_count == 25
        await pilot.press("S")  # by last contact
        assert screen.sort_key == "contact"
        await pilot.press("slash", "k", "o", "l", "i")  # / enters the filter
        assert screen.query_one("#client-filter", Input).value == "koli"
        assert table.row_count == 1
        await pilot.press("enter")  # back to the table
        await pilot.press("enter")  # opens the card
        await settle(pilot)
        card = app.screen
        assert isinstance(card, ClientCardScreen)
        assert card.client_id == "kolibri-reisen-gmbh"
        title = str(card.query_one("#card-title", Static).render())
        assert title.startswith("Kolibri Reisen GmbH (kolibri-reisen-gmbh)")
        contacts = str(card.query_one("#card-contacts", Static).render())
        assert "Contacts" in contacts
        kinds = {t.kind for t in card.query_one(SectionTable).targets.values()}
        assert {"deal", "task", "activity", "commit"} <= kinds
        history = [t for t in card.query_one(SectionTable).targets.values() if t.kind == "commit"]
        assert history[-1].label == "init: tcrm workspace from sample_workspace"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)

    drive(app, scenario)


def test_the_card_timeline_mixes_activities_and_git_history(sample_ws: Path) -> None:
    run("client", "edit", "acme-logistics", "--set", "tags=enterprise,retainer,vip")
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        app.open_client("acme-logistics")
        await settle(pilot)
        table = app.screen.query_one(SectionTable)
        timeline = next(s for s in table.sections if s.id == "timeline")
        kinds = [r.target.kind for r in timeline.rows]
        assert kinds[0] == "commit"  # the edit just made is the newest entry
        assert timeline.rows[0].target.label == "client acme-logistics: set tags"
        assert "(tags)" in timeline.rows[0].cells[1]
        assert timeline.rows[0].cells[2] == "Ann Tester"
        assert "activity" in kinds

    drive(app, scenario)


def test_edit_a_client_from_its_card(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    commits = commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        app.open_client("cafe-lumiere")
        await settle(pilot)
        form = await open_form(pilot, "e")
        await type_into(pilot, "#field-tags", "smb, unknown-tag")
        assert "unknown-tag" in field_error(app, "tags")
        await type_into(pilot, "#field-tags", "smb, vip")
        await type_into(pilot, "#field-cadence_days", "21")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        assert form not in app.screen_stack

    drive(app, scenario)
    data = load(sample_ws / "clients" / "cafe-lumiere.yaml")
    assert data["tags"] == ["smb", "vip"]
    assert data["cadence_days"] == "21"
    assert commit_count(sample_ws) == commits + 1
    assert subject(sample_ws) == "client cafe-lumiere: set cadence_days, tags"
    assert status_clean(sample_ws)


# --- tasks agenda ----------------------------------------------------------------------


def test_tasks_agenda_by_day_filtered_by_assignee(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TasksScreen)
        table = table_of(app)
        titles = [s.title for s in table.sections]
        assert titles[:3] == ["Overdue", "Mon 23 Nov · today", "Tue 24 Nov"]
        assert len(titles) == 9  # overdue + 8 days (today .. +7d)
        everyone = len(table.targets)
        await pilot.press("a")  # ann
        await settle(pilot)
        assert screen.assignee == "ann"
        assert 0 < len(table.targets) < everyone
        assert all(t.record.assignee == "ann" for t in table.targets.values())
        assert str(screen.query_one("#tasks-assignee", Select).value) == "ann"

    drive(app, scenario)


def test_add_and_edit_a_task_with_the_form(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    commits = commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("4")
        await settle(pilot)
        form = await open_form(pilot, "n")
        assert isinstance(form, TaskForm)
        await type_into(pilot, "#field-title", "Prepare the Q1 plan")
        await type_into(pilot, "#field-due", "tomorrow 25:00")
        assert "not a time" in field_error(app, "due")
        await type_into(pilot, "#field-due", "tomorrow 10:00")
        assert field_error(app, "due") == ""
        await type_into(pilot, "#field-clients", "acme")
        form.query_one("#field-assignee", Select).value = "ann"
        await type_into(pilot, "#field-reminders", "30m")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TasksScreen)
        added = subject(sample_ws).split()[1].rstrip(":")
        assert table_of(app).select_target("task", added)
        form = await open_form(pilot, "e")
        await type_into(pilot, "#field-title", "Prepare the Q1 plan with Ann")
        await pilot.press("ctrl+s")
        await settle(pilot)

    drive(app, scenario)
    assert commit_count(sample_ws) == commits + 2
    message = git(sample_ws, "log", "-2", "--format=%s").splitlines()
    task_id = message[1].split()[1].rstrip(":")
    assert message == [f"task {task_id}: set title", f"task {task_id}: add"]
    data = load(sample_ws / "tasks" / f"{task_id}.yaml")
    assert data["title"] == "Prepare the Q1 plan with Ann"
    assert data["due"] == "2026-11-24T10:00"
    assert data["clients"] == ["acme-logistics"]
    assert data["assignee"] == "ann"
    assert data["reminders"] == ["30m"]
    assert status_clean(sample_ws)


def test_a_deal_form_checks_the_stage_rules_as_you_type(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    commits = commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        app.open_client("studio-akesson")
        await settle(pilot)
        form = await open_form(pilot, "D")
        assert isinstance(form, DealForm)
        assert form.values()["client"] == "studio-akesson"
        await type_into(pilot, "#field-title", "Shop relaunch", keys=True)
        form.query_one("#field-stage", Select).value = "proposal"
        await settle(pilot)
        assert field_error(app, "stage") == "proposal needs amount first"
        await type_into(pilot, "#field-amount", "12.000,50", keys=True)
        assert "not an amount" in field_error(app, "amount")
        await type_into(pilot, "#field-amount", "12,000.50", keys=True)
        assert field_error(app, "amount") == ""
        assert field_error(app, "stage") == ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)

    drive(app, scenario)
    data = load(sample_ws / "deals" / "studio-akesson-shop-relaunch.yaml")
    assert data["stage"] == "proposal" and data["amount"] == "12000.50"
    assert commit_count(sample_ws) == commits + 1
    assert subject(sample_ws) == "deal studio-akesson-shop-relaunch: add"


# --- knowledge base --------------------------------------------------------------------


def test_knowledge_base_browse_and_search(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, KbScreen)
        assert [p.name for p in screen.pages] == [
            "discovery-call-script.md",
            "objection-handling.md",
        ]
        assert screen.current == "discovery-call-script.md"
        await pilot.press("slash")
        await pilot.press(*"no budget")
        await settle(pilot)
        hits = [(h.page.name, h.count) for h in screen.hits or []]
        assert hits == [("objection-handling.md", 2), ("discovery-call-script.md", 1)]
        await pilot.press("enter")
        await settle(pilot)
        assert screen.current == "objection-handling.md"

    drive(app, scenario)


# --- outside changes, reminders, the palette --------------------------------------------


def test_a_change_made_outside_is_noticed_and_shown(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        assert ("task", "tchj4hab") in row_ids(table_of(app))
        result = run("task", "done", "tchj4hab")  # another terminal
        assert result.code == 0, result.err
        app.tick()
        await settle(pilot)
        assert ("task", "tchj4hab") not in row_ids(table_of(app))
        assert any("changed outside" in n for n in notifications(app))
        app.tick()  # nothing new: no second reload
        await settle(pilot)
        assert sum("changed outside" in n for n in notifications(app)) == 1

    drive(app, scenario)


def test_a_reload_marks_the_data_screens_of_every_mode_shown(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        assert [type(s) for s in app.data_screens()] == [TodayScreen]
        app.switch_mode("pipeline")
        await settle(pilot)
        app.open_client("acme-logistics")  # a card on top of the Clients list
        await settle(pilot)
        shown = app.data_screens()
        assert sorted(type(s).__name__ for s in shown) == [
            "ClientCardScreen",
            "ClientsScreen",
            "PipelineScreen",
            "TodayScreen",
        ]
        assert not any(s.stale for s in shown)
        app.reload_all()
        await settle(pilot)
        assert [s for s in shown if s.stale] == [s for s in shown if s is not app.screen]

    drive(app, scenario)


def test_a_reminder_falling_due_while_open_is_notified_once(sample_ws: Path) -> None:
    clock = Clock()
    app = make_app(sample_ws, clock=clock)

    async def scenario(pilot: Pilot[Any]) -> None:
        assert app.check_reminders() == []
        clock.now = FIXED + timedelta(minutes=16)  # 09:16: the 15m reminder of 09:30
        due = app.check_reminders()
        assert [(r.task.id, r.offset) for r in due] == [("tee6mj3g", "15m")]
        await pilot.pause()
        assert any("Weekly pipeline review" in n for n in notifications(app))
        assert app.check_reminders() == []
        clock.now = FIXED + timedelta(minutes=31)  # 09:31: Call Jana's 30m reminder
        assert [r.task.id for r in app.check_reminders()] == ["tqqx7cud"]

    drive(app, scenario)


def test_the_palette_lists_every_action(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        titles = [c.title for c in commands(app, app.screen)]
        for title in (
            "Today: Done",
            "Today: Snooze",
            "Today: Resched.",
            "Today: Log call",
            "Today: Client",
            "Today: New task",
            "Go to Pipeline",
            "New client",
            "New deal",
            "New task",
            "Log an activity",
            "Reload",
        ):
            assert title in titles
        await pilot.press("2")
        await settle(pilot)
        palette = {c.title: c for c in commands(app, app.screen)}
        assert "Pipeline: Move on" in palette and "Pipeline: Lost" in palette
        palette["Pipeline: show Partnerships"].run()
        await settle(pilot)
        assert board(app).pipeline_id == "partnerships"
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"new client", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientForm)

    drive(app, scenario)


def test_every_screen_works_at_80x24(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        for key in "12345":
            await pilot.press(key)
            await settle(pilot)
            assert app.screen.loaded
        await pilot.press("1")
        await pilot.press("d")
        await settle(pilot)
        assert subject(sample_ws) == "task tchj4hab: done"

    drive(app, scenario, size=(80, 24))


@pytest.mark.parametrize("theme", ["textual-light", "textual-dark"])
def test_themes_are_respected(sample_ws: Path, theme: str) -> None:
    app = make_app(sample_ws, theme=theme)

    async def scenario(pilot: Pilot[Any]) -> None:
        assert app.theme == theme
        table = table_of(app)
        overdue = next(line for line in table.lines if line.key.startswith("overdue:"))
        assert overdue.style == "error"  # a meaning; the theme gives the colour
        error = Color.parse(app.theme_variables["error"])
        assert table._style("error").color.triplet == error.rich_color.triplet
        assert table._style("bold error").bold

    drive(app, scenario)


def test_open_the_related_client_from_today_one_card_at_a_time(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("o")  # the first overdue task is about brightwater-health
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        assert app.screen.client_id == "brightwater-health"
        await pilot.press("1")
        await settle(pilot)
        assert table_of(app).select_target("client", "cafe-lumiere")  # clients to contact
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        assert app.screen.client_id == "cafe-lumiere"
        assert sum(isinstance(s, ClientCardScreen) for s in app.screen_stack) == 1

    drive(app, scenario)


def test_edit_a_deal_on_the_board_and_an_activity_on_the_card(sample_ws: Path) -> None:
    app = make_app(sample_ws)
    deal = "jonas-lindqvist-author-website"
    commits = commit_count(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("2")
        await settle(pilot)
        proposal = cards(app, "proposal")
        proposal.focus()
        assert proposal.select_deal(deal)
        form = await open_form(pilot, "e")
        assert form.values()["amount"] == "3900"
        await type_into(pilot, "#field-amount", "-5")
        assert "cannot be negative" in field_error(app, "amount")
        await type_into(pilot, "#field-amount", "4500")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PipelineScreen)
        app.open_client("jonas-lindqvist")
        await settle(pilot)
        table = table_of(app)
        activity = next(t for t in table.targets.values() if t.kind == "activity")
        assert table.select_target("activity", activity.id)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await type_into(pilot, "#field-outcome", "agreed to a call next week")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        assert subject(sample_ws) == f"activity {activity.id}: set outcome"

    drive(app, scenario)
    assert load(sample_ws / "deals" / f"{deal}.yaml")["amount"] == "4500"
    assert git(sample_ws, "log", "-2", "--format=%s").splitlines()[1] == f"deal {deal}: set amount"
    assert commit_count(sample_ws) == commits + 2
    assert status_clean(sample_ws)


def test_clients_table_by_mouse_sort_and_double_click(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClientsScreen)
        table = screen.query_one("#clients-table", RowsView)
        widths = table.widths()
        deals_x = sum(w + 2 for w in widths[:3]) + 2  # the fourth column: open deals
        await pilot.click("#clients-table", offset=(deals_x, 0))
        await settle(pilot)
        assert screen.sort_key == "deals"
        first = table.lines[0].key
        assert first in (
            "brightwater-health",
            "fjordline-outdoor-as",
            "quantum-ledger-bv",
            "van-der-berg-architecten",
        )  # the clients with two open deals
        await pilot.click("#clients-table", offset=(3, 3), times=2)  # the third row
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        assert app.screen.client_id == table.lines[2].key

    drive(app, scenario)


def test_a_big_list_is_one_widget_whatever_its_length(sample_ws: Path) -> None:
    from tcrm.tui.widgets.rows import Col, Line

    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("3")
        await settle(pilot)
        table = app.screen.query_one("#clients-table", RowsView)
        widgets = len(list(app.screen.walk_children()))
        table.set_columns([Col("Name"), Col("N", 6, "right")])
        table.set_lines([Line(f"k{n}", [f"client {n}", str(n)]) for n in range(10_000)])
        table.focus()
        await pilot.press("end")
        assert table.cursor == 9_999
        await pilot.press("pageup")
        assert table.cursor < 9_999
        assert len(list(app.screen.walk_children())) == widgets

    drive(app, scenario)
