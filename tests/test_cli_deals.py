"""``tcrm deal ...`` and ``tcrm pipeline`` on a real workspace in a real git repository."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tcrm.store.yamlio import load_fast
from tests.clitools import (
    Result,
    assert_refused,
    commit_count,
    git,
    run,
    snapshot,
    status_clean,
)

TODAY = "2026-11-23"
AT = "2026-11-23T09:00+01:00"  # TCRM_NOW, to the minute, as stored


def deal_file(root: Path, deal_id: str) -> dict[str, Any]:
    data = load_fast((root / "deals" / f"{deal_id}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def task_files(root: Path) -> dict[str, dict[str, Any]]:
    return {
        p.stem: load_fast(p.read_text(encoding="utf-8")) for p in (root / "tasks").glob("*.yaml")
    }


def new_tasks(root: Path, before: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    after = task_files(root)
    return sorted(
        ({"id": k, **v} for k, v in after.items() if k not in before), key=lambda t: t["due"]
    )


def assert_committed(root: Path, result: Result, commits: int, message: str) -> None:
    """A change: exit 0, exactly one new commit with ``message``, nothing left uncommitted."""
    assert result.code == 0, result.err
    assert commit_count(root) == commits + 1
    assert git(root, "log", "-1", "--format=%s").strip() == message
    assert status_clean(root)


def changed_files(root: Path) -> set[str]:
    return set(git(root, "show", "--name-only", "--format=", "HEAD").split())


def refused(root: Path, *args: str) -> str:
    """Run a command that must be refused; return its one error line."""
    before, commits = snapshot(root), commit_count(root)
    result = run(*args)
    assert_refused(root, result, before, commits)
    return result.err.strip()


# --- deal add -----------------------------------------------------------------------


def test_add_uses_default_pipeline_first_stage_and_currency(sample_ws: Path) -> None:
    commits = commit_count(sample_ws)
    result = run("deal", "add", "Website", "--client", "Acme Logistics", "--amount", "12,000.50")
    assert_committed(sample_ws, result, commits, "deal acme-logistics-website: add")
    assert result.out == "acme-logistics-website\n"
    text = (sample_ws / "deals" / "acme-logistics-website.yaml").read_text(encoding="utf-8")
    assert "amount: 12000.50\n" in text  # exact, never a float
    data = deal_file(sample_ws, "acme-logistics-website")
    assert data["client"] == "acme-logistics"
    assert (data["pipeline"], data["stage"], data["status"]) == ("sales", "lead", "open")
    assert data["currency"] == "EUR"
    assert data["created"] == AT
    assert data["stage_history"] == [{"at": AT, "stage": "lead"}]
    assert changed_files(sample_ws) == {"deals/acme-logistics-website.yaml"}


@pytest.mark.parametrize(
    ("typed", "stored"), [("12000", "12000"), ("12000.50", "12000.50"), ("12,000.50", "12000.50")]
)
def test_add_parses_amounts_exactly(sample_ws: Path, typed: str, stored: str) -> None:
    result = run("deal", "add", "Hosting", "--client", "pixelforge-games", "--amount", typed)
    assert result.code == 0, result.err
    assert deal_file(sample_ws, "pixelforge-games-hosting")["amount"] == stored


def test_add_with_every_option(sample_ws: Path) -> None:
    commits = commit_count(sample_ws)
    result = run(
        "deal", "add", "Pixelforge merch shop", "--client", "pixel",
        "--amount", "9000", "--currency", "usd", "--pipeline", "partnerships",
        "--stage", "pilot", "--close-date", "eom", "--owner", "chloe", "--source", "event",
        "--tag", "ecommerce", "--tag", "startup", "--probability", "35",
        "--contact", "mara schulz",
    )  # fmt: skip
    # A title that already starts with the client's id is not prefixed twice.
    assert_committed(sample_ws, result, commits, "deal pixelforge-merch-shop: add")
    data = deal_file(sample_ws, "pixelforge-merch-shop")
    assert data["client"] == "pixelforge-games"
    assert (data["pipeline"], data["stage"]) == ("partnerships", "pilot")
    assert (data["amount"], data["currency"]) == ("9000", "USD")
    assert data["close_date"] == "2026-11-30"
    assert (data["owner"], data["source"], data["probability"]) == ("chloe", "event", "35")
    assert data["tags"] == ["ecommerce", "startup"]
    assert data["contacts"] == ["Mara Schulz"]  # spelt as the client spells it


def test_add_at_a_stage_creates_its_tasks_in_the_same_commit(sample_ws: Path) -> None:
    commits, tasks = commit_count(sample_ws), task_files(sample_ws)
    result = run(
        "deal", "add", "Game launch site", "--client", "pixelforge-games",
        "--stage", "proposal", "--amount", "7000", "--owner", "ben",
    )  # fmt: skip
    assert_committed(sample_ws, result, commits, "deal pixelforge-games-game-launch-site: add")
    created = new_tasks(sample_ws, tasks)
    assert [(t["title"], t["due"], t["priority"]) for t in created] == [
        ("Send the proposal", "2026-11-25", "high"),
        ("Follow up on the proposal", "2026-11-30", "medium"),
    ]
    for task in created:
        assert task["assignee"] == "ben"
        assert task["deals"] == ["pixelforge-games-game-launch-site"]
        assert task["clients"] == ["pixelforge-games"]
    assert changed_files(sample_ws) == {
        "deals/pixelforge-games-game-launch-site.yaml",
        *(f"tasks/{t['id']}.yaml" for t in created),
    }


def test_add_force_enters_a_stage_whose_required_field_is_missing(sample_ws: Path) -> None:
    commits = commit_count(sample_ws)
    result = run(
        "deal", "add", "Audit", "--client", "pixelforge-games", "--stage", "proposal", "--force"
    )
    assert_committed(sample_ws, result, commits, "deal pixelforge-games-audit: add (forced)")
    history = deal_file(sample_ws, "pixelforge-games-audit")["stage_history"]
    assert history == [{"at": AT, "stage": "proposal", "forced": True}] or history == [
        {"at": AT, "stage": "proposal", "forced": True}
    ]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--client", "nobody-inc"], ["no client", "nobody-inc"]),
        (["--client", "acme-logistics", "--amount", "abc"], ["--amount", "'abc'"]),
        (["--client", "acme-logistics", "--amount", "12.000,50"], ["--amount"]),
        (["--client", "acme-logistics", "--amount", "-5"], ["--amount"]),
        (["--client", "acme-logistics", "--stage", "closing"], ["unknown stage 'closing'", "lead"]),
        (["--client", "acme-logistics", "--pipeline", "ops"], ["unknown pipeline 'ops'", "sales"]),
        (["--client", "acme-logistics", "--stage", "proposal"], ["proposal", "amount"]),
        (["--client", "acme-logistics", "--source", "tv"], ["source", "'tv'"]),
        (["--client", "acme-logistics", "--tag", "gold"], ["tags", "'gold'"]),
        (["--client", "acme-logistics", "--owner", "zoe"], ["owner", "'zoe'", "ann"]),
        (["--client", "acme-logistics", "--currency", "EURO"], ["currency", "ISO 4217"]),
        (["--client", "acme-logistics", "--close-date", "next blursday"], ["--close-date"]),
        (["--client", "acme-logistics", "--contact", "Jane Roe"], ["--contact", "Jana Krüger"]),
        (["--client", "acme-logistics", "--probability", "150"], ["probability"]),
    ],
)
def test_add_refuses_bad_input(sample_ws: Path, args: list[str], words: list[str]) -> None:
    error = refused(sample_ws, "deal", "add", "Something", *args)
    for word in words:
        assert word in error


# --- deal move ----------------------------------------------------------------------


def test_move_records_history_and_creates_stage_tasks_in_one_commit(sample_ws: Path) -> None:
    deal = "muller-sohne-b2b-ordering-portal"
    commits, tasks = commit_count(sample_ws), task_files(sample_ws)
    result = run("deal", "move", "Müller & Söhne B2B ordering portal", "proposal")
    assert_committed(sample_ws, result, commits, f"deal {deal}: qualified -> proposal")
    data = deal_file(sample_ws, deal)
    assert (data["stage"], data["status"]) == ("proposal", "open")
    assert data["stage_history"][-1] == {"at": AT, "stage": "proposal"}
    assert len(data["stage_history"]) == 3
    created = new_tasks(sample_ws, tasks)
    assert [(t["title"], t["due"]) for t in created] == [
        ("Send the proposal", "2026-11-25"),
        ("Follow up on the proposal", "2026-11-30"),
    ]
    assert all(t["assignee"] == "ann" and t["deals"] == [deal] for t in created)
    assert all(t["clients"] == ["muller-sohne-gmbh"] for t in created)
    assert changed_files(sample_ws) == {f"deals/{deal}.yaml"} | {
        f"tasks/{t['id']}.yaml" for t in created
    }


def test_move_keeps_hand_comments_and_changes_only_its_lines(sample_ws: Path) -> None:
    deal = "muller-sohne-b2b-ordering-portal"
    path = sample_ws / "deals" / f"{deal}.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("amount: 38000\n", "amount: 38000  # incl. the ERP connector\n")
    path.write_text("# Klaus decides in January.\n" + text + "extra_note: kept\n", encoding="utf-8")
    git(sample_ws, "commit", "-qam", "hand edit")
    assert run("deal", "move", deal, "proposal").code == 0
    after = path.read_text(encoding="utf-8")
    assert after.startswith("# Klaus decides in January.\n")
    assert "amount: 38000  # incl. the ERP connector\n" in after
    assert "extra_note: kept\n" in after
    diff = git(sample_ws, "diff", "HEAD~1", "-U0", "--", f"deals/{deal}.yaml")
    changes = [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changes == [
        "-stage: qualified",
        "+stage: proposal",
        f"+- at: {AT}",
        "+  stage: proposal",
    ]


def test_move_forbidden_by_the_matrix_is_refused(sample_ws: Path) -> None:
    error = refused(
        sample_ws, "deal", "move", "helsinki-design-collective-festival-website", "negotiation"
    )
    assert "cannot move from lead to negotiation: allowed from lead: qualified, proposal" in error


def test_move_force_overrides_the_matrix_and_says_so(sample_ws: Path) -> None:
    deal = "helsinki-design-collective-festival-website"
    commits, tasks = commit_count(sample_ws), task_files(sample_ws)
    result = run("deal", "move", deal, "negotiation", "--force")
    assert_committed(sample_ws, result, commits, f"deal {deal}: lead -> negotiation (forced)")
    data = deal_file(sample_ws, deal)
    assert data["stage"] == "negotiation"
    assert data["stage_history"][-1] == {"at": AT, "stage": "negotiation", "forced": True}
    assert new_tasks(sample_ws, tasks) == []  # negotiation has no task templates


def test_move_with_a_missing_required_field_is_refused(sample_ws: Path) -> None:
    error = refused(sample_ws, "deal", "move", "pixelforge-community-website", "proposal")
    assert "needs amount to enter stage proposal" in error
    assert "tcrm deal edit pixelforge-community-website --set amount=..." in error


def test_move_names_every_broken_rule_at_once(sample_ws: Path) -> None:
    error = refused(sample_ws, "deal", "move", "pixelforge-community-website", "negotiation")
    assert "cannot move from lead to negotiation: allowed from lead: qualified, proposal" in error
    assert "needs amount, close_date to enter stage negotiation" in error
    assert "--set amount=... --set close_date=..." in error
    assert error.endswith("(or pass --force)")


def test_move_force_overrides_a_missing_required_field(sample_ws: Path) -> None:
    deal = "pixelforge-community-website"
    commits = commit_count(sample_ws)
    result = run("deal", "move", deal, "proposal", "--force")
    assert_committed(sample_ws, result, commits, f"deal {deal}: lead -> proposal (forced)")
    assert deal_file(sample_ws, deal)["stage_history"][-1]["forced"] is True


def test_move_to_an_unknown_stage_lists_the_stages(sample_ws: Path) -> None:
    error = refused(sample_ws, "deal", "move", "muller-sohne-b2b-ordering-portal", "closing")
    assert "unknown stage 'closing'" in error
    assert "lead, qualified, proposal, negotiation" in error
    # A stage of another pipeline is not a stage of this deal's pipeline.
    assert "unknown stage 'pilot'" in refused(
        sample_ws, "deal", "move", "muller-sohne-b2b-ordering-portal", "pilot"
    )


def test_move_unknown_deal_is_refused(sample_ws: Path) -> None:
    assert "no deal matches 'nope'" in refused(sample_ws, "deal", "move", "nope", "proposal")


def test_move_a_closed_deal_points_to_reopen(sample_ws: Path) -> None:
    error = refused(sample_ws, "deal", "move", "acme-logistics-website-relaunch", "proposal")
    assert "is won" in error
    assert "tcrm deal reopen acme-logistics-website-relaunch" in error


def test_move_to_the_current_stage_changes_nothing(sample_ws: Path) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("deal", "move", "muller-sohne-b2b-ordering-portal", "qualified")
    assert result.code == 0, result.err
    assert "already in stage qualified" in result.err
    assert snapshot(sample_ws) == before
    assert commit_count(sample_ws) == commits


# --- won, lost, reopen --------------------------------------------------------------


def test_won_closes_today_and_keeps_the_stage(sample_ws: Path) -> None:
    deal = "kolibri-reisen-booking-engine"
    commits = commit_count(sample_ws)
    result = run("deal", "won", deal)
    assert_committed(sample_ws, result, commits, f"deal {deal}: proposal -> won")
    data = deal_file(sample_ws, deal)
    assert (data["status"], data["stage"], data["closed"]) == ("won", "proposal", TODAY)
    assert data["stage_history"][-1] == {"at": AT, "stage": "proposal", "status": "won"}


def test_won_without_an_amount_is_refused(sample_ws: Path) -> None:
    error = refused(sample_ws, "deal", "won", "pixelforge-community-website")
    assert "no amount" in error
    assert "--set amount=" in error


def test_lost_needs_a_reason_from_the_list(sample_ws: Path) -> None:
    deal = "zenith-fitness-website-refresh"
    error = refused(sample_ws, "deal", "lost", deal, "--reason", "bad vibes")
    assert "'bad vibes' is not one of the lost reasons" in error
    assert "price, timing, competitor, no budget" in error
    commits = commit_count(sample_ws)
    result = run("deal", "lost", deal, "--reason", "no budget")
    assert_committed(sample_ws, result, commits, f"deal {deal}: negotiation -> lost (no budget)")
    data = deal_file(sample_ws, deal)
    assert (data["status"], data["stage"]) == ("lost", "negotiation")
    assert (data["lost_reason"], data["closed"]) == ("no budget", TODAY)
    assert data["stage_history"][-1] == {"at": AT, "stage": "negotiation", "status": "lost"}


def test_lost_and_won_take_a_note_kept_in_the_stage_history(sample_ws: Path) -> None:
    deal = "zenith-fitness-website-refresh"
    commits = commit_count(sample_ws)
    note = "went with their nephew's agency"
    result = run("deal", "lost", deal, "--reason", "competitor", "--note", note)
    assert_committed(sample_ws, result, commits, f"deal {deal}: negotiation -> lost (competitor)")
    data = deal_file(sample_ws, deal)
    assert data["stage_history"][-1] == {
        "at": AT,
        "stage": "negotiation",
        "status": "lost",
        "note": note,
    }
    shown = run("deal", "show", deal)
    assert note in shown.out
    assert json.loads(run("deal", "show", deal, "--json").out)["stage_history"][-1]["note"] == note
    assert run("deal", "won", "kolibri-reisen-booking-engine", "--note", "signed").code == 0
    history = deal_file(sample_ws, "kolibri-reisen-booking-engine")["stage_history"]
    assert history[-1]["note"] == "signed"
    assert "--note is empty" in refused(
        sample_ws, "deal", "won", "jonas-lindqvist-author-website", "--note", " "
    )


def test_closing_a_closed_deal_is_refused(sample_ws: Path) -> None:
    error = refused(
        sample_ws, "deal", "lost", "acme-logistics-website-relaunch", "--reason", "price"
    )
    assert "reopen" in error


def test_reopen_a_lost_deal(sample_ws: Path) -> None:
    deal = "riverside-dental-patient-portal"
    commits = commit_count(sample_ws)
    result = run("deal", "reopen", deal)
    assert_committed(sample_ws, result, commits, f"deal {deal}: lost -> lead (reopen)")
    data = deal_file(sample_ws, deal)
    assert (data["status"], data["stage"]) == ("open", "lead")
    assert "closed" not in data
    assert "lost_reason" not in data
    assert data["stage_history"][-1] == {"at": AT, "stage": "lead", "status": "open"}
    # Now it moves again, and reopening an open deal changes nothing.
    commits = commit_count(sample_ws)
    assert run("deal", "reopen", deal).code == 0
    assert commit_count(sample_ws) == commits
    assert run("deal", "move", deal, "qualified").code == 0


def test_won_then_reopen_then_won_again(sample_ws: Path) -> None:
    deal = "jonas-lindqvist-author-website"
    assert run("deal", "won", deal).code == 0
    assert run("deal", "reopen", deal).code == 0
    assert run("deal", "won", deal).code == 0
    statuses = [h.get("status") for h in deal_file(sample_ws, deal)["stage_history"]]
    assert statuses[-3:] == ["won", "open", "won"]


# --- stage tasks go with their stage -------------------------------------------------


MULLER = "muller-sohne-b2b-ordering-portal"


def _into_proposal(root: Path) -> tuple[str, str, str]:
    """Move MULLER into proposal (two template tasks), add a hand-made task on it, finish
    the first template task: (send, follow_up, by_hand) task ids."""
    tasks = task_files(root)
    assert run("deal", "move", MULLER, "proposal").code == 0
    send, follow_up = (t["id"] for t in new_tasks(root, tasks))
    assert task_files(root)[send]["from_stage"] == "proposal"
    tasks = task_files(root)
    result = run("task", "add", "Follow up on the proposal", "--deal", MULLER, "--due", "+3d")
    assert result.code == 0, result.err
    (by_hand,) = (t["id"] for t in new_tasks(root, tasks))
    assert "from_stage" not in task_files(root)[by_hand]
    assert run("task", "done", send).code == 0
    return send, follow_up, by_hand


def test_moving_out_of_a_stage_cancels_its_open_template_tasks(sample_ws: Path) -> None:
    send, follow_up, by_hand = _into_proposal(sample_ws)
    before = task_files(sample_ws)
    commits = commit_count(sample_ws)
    result = run("deal", "move", MULLER, "qualified")
    assert_committed(
        sample_ws,
        result,
        commits,
        f"deal {MULLER}: proposal -> qualified; cancel stage task {follow_up}",
    )
    after = task_files(sample_ws)
    assert after[follow_up] == {**before[follow_up], "status": "cancelled"}
    assert after[send] == before[send]  # done stays done
    assert after[by_hand] == before[by_hand]  # made by hand: never touched
    (created,) = new_tasks(sample_ws, before)  # qualified's own template task
    assert (created["title"], created["from_stage"]) == ("Schedule a discovery call", "qualified")
    assert changed_files(sample_ws) == {
        f"deals/{MULLER}.yaml",
        f"tasks/{follow_up}.yaml",
        f"tasks/{created['id']}.yaml",
    }
    assert f"cancelled task {follow_up}: Follow up on the proposal" in result.err
    # back into proposal: its tasks are created afresh
    tasks = task_files(sample_ws)
    assert run("deal", "move", MULLER, "proposal").code == 0
    assert [t["title"] for t in new_tasks(sample_ws, tasks)] == [
        "Send the proposal",
        "Follow up on the proposal",
    ]


@pytest.mark.parametrize(
    ("args", "closed"),
    [(["won"], "proposal -> won"), (["lost", "--reason", "price"], "proposal -> lost (price)")],
)
def test_closing_a_deal_cancels_its_open_template_tasks(
    sample_ws: Path, args: list[str], closed: str
) -> None:
    send, follow_up, by_hand = _into_proposal(sample_ws)
    before = task_files(sample_ws)
    commits = commit_count(sample_ws)
    result = run("deal", args[0], MULLER, *args[1:])
    assert_committed(
        sample_ws, result, commits, f"deal {MULLER}: {closed}; cancel stage task {follow_up}"
    )
    after = task_files(sample_ws)
    assert after[follow_up]["status"] == "cancelled"
    assert after[send] == before[send]
    assert after[by_hand] == before[by_hand]
    assert f"cancelled task {follow_up}" in result.err
    # reopening brings nothing back by itself
    assert run("deal", "reopen", MULLER).code == 0
    assert task_files(sample_ws)[follow_up]["status"] == "cancelled"


# --- deal edit ----------------------------------------------------------------------


def test_edit_set_fields(sample_ws: Path) -> None:
    deal = "pixelforge-community-website"
    commits = commit_count(sample_ws)
    result = run("deal", "edit", deal, "--set", "amount=15000", "--set", "tags+=vip")
    assert_committed(sample_ws, result, commits, f"deal {deal}: set amount, tags")
    data = deal_file(sample_ws, deal)
    assert data["amount"] == "15000"
    assert data["tags"] == ["startup", "website", "vip"]


@pytest.mark.parametrize(
    ("assignment", "command"),
    [
        ("stage=proposal", "tcrm deal move"),
        ("status=won", "tcrm deal won"),
        ("closed=2026-11-01", "tcrm deal won"),
        ("lost_reason=price", "tcrm deal lost"),
        ("stage_history=", "tcrm deal move"),
    ],
)
def test_edit_refuses_fields_with_their_own_command(
    sample_ws: Path, assignment: str, command: str
) -> None:
    error = refused(sample_ws, "deal", "edit", "pixelforge-community-website", "--set", assignment)
    assert command in error


def test_edit_refuses_bad_values(sample_ws: Path) -> None:
    deal = "pixelforge-community-website"
    assert "amount" in refused(sample_ws, "deal", "edit", deal, "--set", "amount=abc")
    assert "'gold'" in refused(sample_ws, "deal", "edit", deal, "--set", "tags+=gold")


def test_edit_in_the_editor(sample_ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deal = "pixelforge-community-website"
    script = sample_ws.parent / "editor.py"
    script.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text().replace('owner: ann', 'owner: ben'))\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    commits = commit_count(sample_ws)
    result = run("deal", "edit", deal)
    assert_committed(sample_ws, result, commits, f"deal {deal}: edit")
    assert deal_file(sample_ws, deal)["owner"] == "ben"


# --- deal list ----------------------------------------------------------------------


def list_ids(*args: str) -> list[str]:
    result = run("deal", "list", "--json", *args)
    assert result.code == 0, result.err
    return [d["id"] for d in json.loads(result.out)]


def test_list_json_defaults_to_open_deals(sample_ws: Path) -> None:
    result = run("deal", "list", "--json")
    assert result.code == 0, result.err
    deals = json.loads(result.out)
    assert {d["status"] for d in deals} == {"open"}
    assert len(deals) == 24
    fleet = next(d for d in deals if d["id"] == "lumen-robotics-fleet-dashboard")
    assert fleet["amount"] == "88000"
    assert fleet["effective_currency"] == "USD"
    assert fleet["effective_probability"] == 50
    assert fleet["weighted_amount"] == "44000"
    assert fleet["rotting"] == {"idle_days": 17, "threshold": 10}
    portal = next(d for d in deals if d["id"] == "nordlicht-customer-portal-phase-2")
    assert portal["effective_probability"] == 85  # the deal's own, not negotiation's 75
    assert portal["effective_currency"] == "EUR"  # no currency: the workspace's
    assert portal["rotting"] is None
    pixel = next(d for d in deals if d["id"] == "pixelforge-community-website")
    assert pixel["weighted_amount"] is None


def test_list_by_status(sample_ws: Path) -> None:
    won = list_ids("--won")
    assert "acme-logistics-website-relaunch" in won
    assert len(won) == 9
    lost = list_ids("--lost")
    assert "riverside-dental-patient-portal" in lost
    assert len(lost) == 7
    assert sorted(list_ids("--won", "--lost")) == sorted(won + lost)
    assert len(list_ids("--all")) == 40


def test_list_by_pipeline_stage_owner_client(sample_ws: Path) -> None:
    assert list_ids("--pipeline", "partnerships") == [
        "quantum-ledger-integration-partnership",
        "fjordline-nordic-referral-partnership",
        "van-der-berg-referral-partnership",
    ]
    assert list_ids("--stage", "pilot") == ["fjordline-nordic-referral-partnership"]
    assert list_ids("--client", "Maison Delacroix") == ["maison-delacroix-loyalty-programme"]
    ben = list_ids("--owner", "ben")
    assert "lumen-robotics-fleet-dashboard" in ben
    assert "muller-sohne-b2b-ordering-portal" not in ben


def test_list_filter_terms(sample_ws: Path) -> None:
    big = list_ids("amount.gt:100000")
    assert sorted(big) == [
        "brightwater-health-patient-portal-redesign",
        "nordlicht-customer-portal-phase-2",
        "stadtwerke-lindenau-citizen-services-portal",
    ]
    assert list_ids("owner:ann", "stage:negotiation") == [
        "acme-logistics-driver-onboarding-app",
        "nordlicht-customer-portal-phase-2",
        "zenith-fitness-website-refresh",
    ]


def test_list_stale_shows_rotting_deals_only(sample_ws: Path) -> None:
    assert sorted(list_ids("--stale")) == [
        "brightwater-health-patient-portal-redesign",
        "lumen-robotics-fleet-dashboard",
        "maison-delacroix-loyalty-programme",
        "quantum-ledger-integration-partnership",
        "riverside-dental-online-booking",
    ]


def test_list_table_when_piped(sample_ws: Path) -> None:
    result = run("deal", "list", "--stage", "pilot")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split("\t") == [
        "id", "title", "client", "stage", "status", "amount", "probability", "close date", "owner",
    ]  # fmt: skip
    assert lines[1].split("\t")[:7] == [
        "fjordline-nordic-referral-partnership",
        "Fjordline Nordic referral partnership",
        "fjordline-outdoor-as",
        "pilot",
        "open",
        "12,000 EUR",
        "40%",
    ]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--stage", "closing"], ["unknown stage 'closing'"]),
        (["--pipeline", "ops"], ["unknown pipeline 'ops'"]),
        (["--client", "nobody-inc"], ["no client", "nobody-inc"]),
        (["--owner", "zoe"], ["'zoe' is not a team member"]),
        (["amount.gt:abc"], ["'abc' is not a number"]),
        (["colour:red"], ["no field 'colour'"]),
    ],
)
def test_list_refuses_bad_input(sample_ws: Path, args: list[str], words: list[str]) -> None:
    error = refused(sample_ws, "deal", "list", *args)
    for word in words:
        assert word in error


# --- deal show ----------------------------------------------------------------------


def test_show_json(sample_ws: Path) -> None:
    result = run("deal", "show", "lumen-robotics-fleet", "--json")
    assert result.code == 0, result.err
    card = json.loads(result.out)
    assert card["id"] == "lumen-robotics-fleet-dashboard"
    assert card["client_name"] == "Lumen Robotics Inc."
    assert (card["stage"], card["stage_name"]) == ("proposal", "Proposal")
    assert (card["amount"], card["effective_currency"]) == ("88000", "USD")
    assert card["effective_probability"] == 50
    assert card["weighted_amount"] == "44000"
    assert (card["idle_days"], card["rotting_days"]) == (17, 10)
    assert card["rotting"] == {"idle_days": 17, "threshold": 10}
    assert [(h["stage"], h["days"]) for h in card["history"]] == [
        ("lead", 16),
        ("qualified", 17),
        ("proposal", 17),
    ]
    assert card["history"][0]["at"] == "2026-10-02T16:15-04:00"
    assert {t["id"] for t in card["tasks"]} == {"tg7chpux", "tnyv2x4u", "txe8kj5h", "tewnq5hx"}
    assert [a["id"] for a in card["activities"]] == ["a6xkewed"]


def test_show_json_of_a_closed_deal(sample_ws: Path) -> None:
    result = run("deal", "show", "acme-logistics-website-relaunch", "--json")
    card = json.loads(result.out)
    assert (card["status"], card["closed"]) == ("won", "2026-06-26")
    assert card["effective_probability"] == 100
    assert card["weighted_amount"] == "48000"
    assert card["rotting"] is None
    assert card["idle_days"] is None
    assert [h["days"] for h in card["history"]] == [21, 25, 23, 21, None]  # whole days
    assert card["history"][-1]["status"] == "won"


def test_show_text(sample_ws: Path) -> None:
    result = run("deal", "show", "lumen-robotics-fleet-dashboard")
    assert result.code == 0, result.err
    assert "Lumen Robotics fleet dashboard  [lumen-robotics-fleet-dashboard]" in result.out
    assert "weighted:     44,000 USD" in result.out
    assert "ROTTING: idle 17 days (rots after 10)" in result.out
    assert "proposal  17 days" in result.out
    assert "Send the proposal" in result.out
    assert "meeting:" in result.out


def test_show_unknown_deal_is_refused(sample_ws: Path) -> None:
    assert "no deal matches 'nope'" in refused(sample_ws, "deal", "show", "nope")


# --- pipeline -----------------------------------------------------------------------


def _money(data: dict[str, str]) -> dict[str, Decimal]:
    return {currency: Decimal(amount) for currency, amount in data.items()}


def test_pipeline_figures_match_a_hand_count(
    sample_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(sample_ws, "rm", "-rq", "deals")
    git(sample_ws, "commit", "-qm", "start from no deals")
    client = ["--client", "acme-logistics"]
    for args in (
        ["A", "--amount", "1000"],  # lead 10%: 100 EUR
        ["B", "--amount", "2000.50", "--currency", "USD"],  # lead 10%: 200.05 USD
        ["G"],  # lead, no amount: counted, adds nothing
        ["C", "--amount", "3000", "--stage", "qualified", "--probability", "60"],  # 1800 EUR
        ["D", "--amount", "4000", "--stage", "proposal"],  # proposal 50%: 2000 EUR
        ["E", "--amount", "500", "--currency", "USD", "--stage", "proposal"],  # lost below
        ["F", "--amount", "10000", "--stage", "negotiation", "--close-date", "2026-12-31"],
        ["H", "--amount", "700", "--currency", "GBP", "--pipeline", "partnerships"],
    ):
        assert run("deal", "add", args[0], *client, *args[1:]).code == 0
    assert run("deal", "lost", "acme-logistics-e", "--reason", "price").code == 0
    assert run("deal", "won", "acme-logistics-f").code == 0
    monkeypatch.setenv("TCRM_NOW", "2026-12-05T09:00:00+01:00")  # 12 days later

    result = run("pipeline", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert (report["pipeline"], report["name"]) == ("sales", "Sales")
    stages = {s["id"]: s for s in report["stages"]}
    assert [s["id"] for s in report["stages"]] == ["lead", "qualified", "proposal", "negotiation"]
    figures = {
        sid: (s["count"], _money(s["total"]), _money(s["weighted"])) for sid, s in stages.items()
    }
    assert figures == {
        "lead": (
            3,
            {"EUR": Decimal("1000"), "USD": Decimal("2000.50")},
            {"EUR": Decimal("100"), "USD": Decimal("200.05")},
        ),
        "qualified": (1, {"EUR": Decimal("3000")}, {"EUR": Decimal("1800")}),
        "proposal": (1, {"EUR": Decimal("4000")}, {"EUR": Decimal("2000")}),
        "negotiation": (0, {}, {}),
    }
    assert sorted(stages["lead"]["deals"]) == [
        "acme-logistics-a",
        "acme-logistics-b",
        "acme-logistics-g",
    ]
    assert stages["lead"]["total"]["USD"] == "2000.50"  # amounts are exact strings
    assert report["open"]["count"] == 5
    assert _money(report["open"]["total"]) == {"EUR": Decimal("8000"), "USD": Decimal("2000.50")}
    assert _money(report["open"]["weighted"]) == {
        "EUR": Decimal("3900"),
        "USD": Decimal("200.05"),
    }
    assert (report["won"]["count"], _money(report["won"]["total"])) == (
        1,
        {"EUR": Decimal("10000")},
    )
    assert (report["lost"]["count"], _money(report["lost"]["total"])) == (
        1,
        {"USD": Decimal("500")},
    )
    # 12 idle days: more than proposal's 10, not more than lead's or qualified's 14.
    assert report["rotting"] == [
        {
            "id": "acme-logistics-d",
            "title": "D",
            "stage": "proposal",
            "idle_days": 12,
            "threshold": 10,
        }
    ]

    other = json.loads(run("pipeline", "partnerships", "--json").out)
    assert other["stages"][0]["count"] == 1
    assert _money(other["stages"][0]["weighted"]) == {"GBP": Decimal("105")}

    text = run("pipeline").out
    assert "Lead (10%)\t3\t1,000 EUR, 2,000.50 USD\t100 EUR, 200.05 USD" in text
    assert "acme-logistics-d\tD\tproposal\t12\t10" in text


def test_pipeline_on_the_sample(sample_ws: Path) -> None:
    result = run("pipeline", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert [r["id"] for r in report["rotting"]] == [
        "brightwater-health-patient-portal-redesign",
        "riverside-dental-online-booking",
        "lumen-robotics-fleet-dashboard",
        "maison-delacroix-loyalty-programme",
    ]
    assert report["open"]["count"] == sum(s["count"] for s in report["stages"])


def test_pipeline_unknown_name_is_refused(sample_ws: Path) -> None:
    error = refused(sample_ws, "pipeline", "ops")
    assert "unknown pipeline 'ops' (pipelines: sales, partnerships)" in error
