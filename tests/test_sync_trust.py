"""Issue 15, items 1-4: a merge keeps every comment, never leaves a dangling reference,
keeps stage history true, and merges the same outcome reached twice into one.

Three clones and a bare remote (tests/teamtools.py), through ``tcrm sync`` and through a
plain ``git pull`` with the merge driver, in both orders of syncing."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tcrm.model.records import Deal, Task
from tcrm.services.merging import merge_file
from tcrm.store import yamlio
from tests.clitools import git, run
from tests.teamtools import assert_healthy, edit, put, record, records_of, sync


def hand_edit(root, rel: str, old: str, new: str, message: str) -> None:
    """A person edits a file in their editor and commits it with git."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    git(root, "commit", "-q", "-am", message)


def pull(root) -> None:
    git(root, "config", "pull.rebase", "false")
    git(root, "pull", "-q", "--no-edit")


# --- item 1: comments ------------------------------------------------------------------


@pytest.mark.parametrize("how", ["sync", "pull"])
@pytest.mark.parametrize("first", ["ann", "ben"])
def test_a_teammates_comment_and_custom_key_survive_a_merge(team, as_user, how, first) -> None:
    ann, ben, chloe = team["ann"], team["ben"], team["chloe"]
    as_user("ann")
    hand_edit(
        ann,
        "clients/acme.yaml",
        "name: Acme\n",
        "name: Acme\n# call only after 10am\nbest_time: morning\n",
        "client acme: a note for the team",
    )
    as_user("ben")
    edit(ben, "client", "acme", "client acme: set status", status="active")
    second = "ben" if first == "ann" else "ann"
    for user in (first, second, first, "chloe"):
        as_user(user)
        if how == "sync":
            sync(team[user])
        else:
            pull(team[user])
            git(team[user], "push", "-q")
    for root in (ann, ben, chloe):
        text = (root / "clients/acme.yaml").read_text(encoding="utf-8")
        assert "# call only after 10am\nbest_time: morning\n" in text, text
        assert record(root, "clients/acme.yaml")["status"] == "active"
        assert run("-w", root, "check").code == 0
        assert_healthy(root)
    assert records_of(ann) == records_of(ben) == records_of(chloe)


def test_both_sides_new_comments_are_kept_and_a_deleted_keys_comment_goes(team, as_user) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    hand_edit(
        ann,
        "deals/beta-app.yaml",
        "stage: lead\n",
        "stage: lead  # ann: they asked for a demo\n",
        "deal beta-app: ann's note",
    )
    hand_edit(
        ann,
        "clients/beta.yaml",
        "status: lead\n",
        "# ann: the status is a guess\nstatus: lead\n",
        "client beta: ann's note",
    )
    as_user("ben")
    hand_edit(
        ben,
        "deals/beta-app.yaml",
        "title: Beta app\n",
        "# ben: the title is theirs\ntitle: Beta app\n",
        "deal beta-app: ben's note",
    )
    edit(ben, "client", "beta", "client beta: no status", status=None)
    as_user("ann")
    sync(ann)
    as_user("ben")
    sync(ben)
    deal = (ben / "deals/beta-app.yaml").read_text(encoding="utf-8")
    assert "# ben: the title is theirs\ntitle: Beta app\n" in deal
    assert "stage: lead  # ann: they asked for a demo\n" in deal
    client = (ben / "clients/beta.yaml").read_text(encoding="utf-8")
    assert "status" not in client and "the status is a guess" not in client
    assert run("-w", ben, "check").code == 0


KEYS = ("name", "status", "website", "address", "source", "notes", "x_code", "x_time")
VALUES = st.sampled_from(["a", "b", "c", "Acme GmbH", "10:00 only"])


@st.composite
def side_edits(draw, side: str, base: dict[str, dict]) -> dict[str, dict]:
    """One side's version: values changed, keys removed, comments added and removed."""
    out = {}
    for n, (key, entry) in enumerate(base.items()):
        if key != "name" and draw(st.booleans()) and draw(st.booleans()):
            continue  # the key removed
        value = draw(VALUES) if draw(st.booleans()) else entry["value"]
        lead = [c for c in entry["lead"] if draw(st.booleans()) or draw(st.booleans())]
        if draw(st.booleans()):
            lead.append(f"# {side} {n}")
        eol = entry["eol"]
        if draw(st.booleans()):
            eol = draw(st.sampled_from([None, f"# {side} eol {n}"]))
        out[key] = {"value": value, "lead": lead, "eol": eol}
    return out


def text_of(version: dict[str, dict]) -> str:
    lines = []
    for key, entry in version.items():
        lines += entry["lead"]
        lines.append(f"{key}: {entry['value']}" + (f"  {entry['eol']}" if entry["eol"] else ""))
    return "\n".join(lines) + "\n"


@st.composite
def three_versions(draw):
    base = {
        key: {
            "value": draw(VALUES),
            "lead": [f"# base {n}"] if draw(st.booleans()) else [],
            "eol": f"# base eol {n}" if draw(st.booleans()) else None,
        }
        for n, key in enumerate(KEYS)
        if key == "name" or draw(st.booleans())
    }
    return base, draw(side_edits("mine", base)), draw(side_edits("theirs", base))


@settings(max_examples=150, deadline=None)
@given(three_versions())
def test_property_no_comment_of_a_surviving_key_is_lost(versions) -> None:
    from tcrm.store.yamlcomments import HEADER, comments_of

    base, mine, theirs = versions
    texts = [text_of(v) for v in (base, mine, theirs)]
    result = merge_file("clients/c.yaml", *(t.encode() for t in texts))
    merged_text = result.data.decode()
    merged = comments_of(merged_text)
    data = yamlio.load_fast(merged_text)

    def attached(key: str) -> list[str | None]:
        """A comment above the first key is the file's header: it stays at the top."""
        first = next(k for k in data if k != "conflicts")  # a merge puts conflicts on top
        header = merged.leading_text(HEADER) if key == first else []
        return [*header, *merged.leading_text((key,)), merged.eol_text((key,))]

    for side, other in ((mine, theirs), (theirs, mine)):
        for key, entry in side.items():
            if key not in data:
                continue
            here = attached(key)
            for comment in [*entry["lead"], entry["eol"]]:
                if comment is None:
                    continue
                in_base = key in base and comment in (base[key]["lead"] + [base[key]["eol"]])
                kept_by_other = key in other and comment in (
                    other[key]["lead"] + [other[key]["eol"]]
                )
                if in_base and not kept_by_other:
                    continue  # the other side deleted it (or its key)
                assert comment in here, (key, comment, merged_text, texts)
    # no comment appears that neither side has
    for key in data:
        for comment in attached(key):
            if comment is not None:
                assert any(
                    key in v and comment in v[key]["lead"] + [v[key]["eol"]] for v in (mine, theirs)
                ), (key, comment, merged_text)


# --- item 2: referential integrity ------------------------------------------------------


def _ann_deletes_beta_ben_adds_a_deal_for_it(team, as_user) -> None:
    as_user("ann")
    removed = run("-w", team["ann"], "client", "rm", "beta", "--cascade", "--yes")
    assert removed.code == 0, removed.err
    as_user("ben")
    put(
        team["ben"],
        "deal beta-shop: add",
        Deal(id="beta-shop", title="Beta shop", client="beta", pipeline="sales", stage="lead"),
        Task(id="t9beta22", title="Call Beta", clients=["beta"], deals=["beta-shop"]),
        create=True,
    )


@pytest.mark.parametrize("first", ["ann", "ben"])
def test_a_merge_that_would_leave_a_dangling_deal_restores_the_client(team, as_user, first) -> None:
    _ann_deletes_beta_ben_adds_a_deal_for_it(team, as_user)
    second = "ben" if first == "ann" else "ann"
    as_user(first)
    sync(team[first])
    as_user(second)
    result = run("-w", team[second], "sync")
    assert result.code == 0, result.err
    notes = [line for line in result.err.splitlines() if "clients/beta.yaml" in line]
    assert len(notes) == 1, result.err
    assert "restored" in notes[0] and "beta-shop" in notes[0], notes
    body = git(team[second], "log", "-1", "--format=%B")
    assert "Restored: clients/beta.yaml" in body, body
    for user in ("chloe", first, second):
        as_user(user)
        sync(team[user])
    for user in ("ann", "ben", "chloe"):
        root = team[user]
        assert record(root, "clients/beta.yaml")["name"] == "Beta"
        assert record(root, "deals/beta-shop.yaml")["client"] == "beta"
        assert not (root / "deals/beta-app.yaml").exists()  # what ann deleted stays deleted
        checked = run("-w", root, "check")
        assert checked.code == 0, checked.out + checked.err
        assert_healthy(root)
    assert records_of(team["ann"]) == records_of(team["ben"]) == records_of(team["chloe"])


@pytest.mark.parametrize("first", ["ann", "ben"])
def test_after_git_pull_check_names_a_deleted_client_and_conflicts_restores_it(
    team, as_user, first
) -> None:
    _ann_deletes_beta_ben_adds_a_deal_for_it(team, as_user)
    second = "ben" if first == "ann" else "ann"
    as_user(first)
    git(team[first], "push", "-q")
    as_user(second)
    pull(team[second])
    root = team[second]
    checked = run("-w", root, "check")
    assert checked.code == 1
    problem = next(line for line in checked.out.splitlines() if "deals/beta-shop.yaml" in line)
    assert "unknown client 'beta'" in problem
    assert "client beta was deleted in" in problem and "by Ann Becker" in problem, problem
    assert problem.endswith("restore it with tcrm resolve beta --restore"), problem
    listed = json.loads(run("-w", root, "conflicts", "--json").out)
    assert [(c["path"], c["field"], c["missing"], c["fix"]) for c in listed] == [
        ("deals/beta-shop.yaml", "client", "clients/beta.yaml", "tcrm resolve beta --restore"),
        ("tasks/t9beta22.yaml", "clients[0]", "clients/beta.yaml", "tcrm resolve beta --restore"),
    ]
    restored = run("-w", root, "resolve", "beta", "--restore")
    assert restored.code == 0, restored.err
    assert record(root, "clients/beta.yaml")["name"] == "Beta"
    assert git(root, "log", "-1", "--format=%s").startswith("client beta: restore")
    assert run("-w", root, "check").code == 0
    assert json.loads(run("-w", root, "conflicts", "--json").out) == []
    assert_healthy(root)
    again = run("-w", root, "resolve", "beta", "--restore")
    assert again.code != 0 and "nothing to restore" in again.err


# --- item 4: the same outcome reached twice ---------------------------------------------


def _both_complete_the_weekly_call(team, as_user, monkeypatch) -> str:
    as_user("ann")
    put(
        team["ann"],
        "task t4week44: add",
        Task(id="t4week44", title="Weekly call", due="2026-11-23", repeat="FREQ=WEEKLY"),
        create=True,
    )
    sync(team["ann"])
    for user, moment in (
        ("ben", "2026-11-23T16:30:00+01:00"),
        ("ann", "2026-11-23T09:15:00+01:00"),
    ):
        as_user(user)
        if user == "ben":
            sync(team["ben"])
        monkeypatch.setenv("TCRM_NOW", moment)
        done = run("-w", team[user], "task", "done", "t4week44")
        assert done.code == 0, done.err
    return "t4week44-20261130"


@pytest.mark.parametrize("how", ["sync-ann-first", "sync-ben-first", "pull"])
def test_two_completions_of_one_occurrence_merge_to_one_with_the_earliest_time(
    team, as_user, monkeypatch, how
) -> None:
    following = _both_complete_the_weekly_call(team, as_user, monkeypatch)
    ann, ben = team["ann"], team["ben"]
    order = ["ben", "ann", "ben"] if how == "sync-ben-first" else ["ann", "ben", "ann"]
    for user in order:
        as_user(user)
        if how == "pull":
            pull(team[user])
            git(team[user], "push", "-q")
        else:
            report = sync(team[user])
            assert report["conflicts"] == []
    for root in (ann, ben):
        task = record(root, "tasks/t4week44.yaml")
        assert "conflicts" not in task, task
        assert (task["status"], task["completed"]) == ("done", "2026-11-23T08:15+00:00")
        assert record(root, f"tasks/{following}.yaml")["due"] == "2026-11-30"
        assert sorted(p.name for p in (root / "tasks").iterdir()) == sorted(
            ["t4week44.yaml", f"{following}.yaml"]
        )
        assert run("-w", root, "check").code == 0
        assert_healthy(root)
    assert records_of(ann) == records_of(ben)


def test_the_same_outcome_at_two_moments_is_one_outcome_for_every_such_field() -> None:
    from tcrm.model.merge import merge_record

    base = {"title": "W", "client": "a", "pipeline": "sales", "stage": "proposal", "amount": "5"}
    history = [{"at": "2026-11-02T10:00+01:00", "stage": "lead"}]
    won_ann = {**base, "status": "won", "closed": "2026-11-21"}
    won_ben = {**base, "status": "won", "closed": "2026-11-20"}
    for mine, theirs in ((won_ann, won_ben), (won_ben, won_ann)):
        result = merge_record(base, mine, theirs)
        assert result.clean and result.data["closed"] == "2026-11-20"
    # both created the same record: the earliest creation
    a = {"title": "W", "created": "2026-11-20T10:00:00+01:00"}
    b = {"title": "W", "created": "2026-11-20T09:30:00+00:00"}
    assert merge_record(None, a, b).data["created"] == "2026-11-20T10:00:00+01:00"
    assert merge_record(None, b, a).data["created"] == "2026-11-20T10:00:00+01:00"
    # both moved the deal to the same stage: one move, the earliest
    moved_a = {
        **base,
        "stage": "won-ish",
        "stage_history": [*history, {"at": "2026-11-21T09:00+01:00", "stage": "won-ish"}],
    }
    moved_b = {
        **base,
        "stage": "won-ish",
        "stage_history": [*history, {"at": "2026-11-21T11:00+01:00", "stage": "won-ish"}],
    }
    base_h = {**base, "stage_history": history}
    for mine, theirs in ((moved_a, moved_b), (moved_b, moved_a)):
        result = merge_record(base_h, mine, theirs)
        assert result.clean
        assert result.data["stage_history"] == [*history, moved_a["stage_history"][-1]]
    # different outcomes stay a conflict: done on one side, cancelled on the other
    task = {"title": "T", "status": "open"}
    done = {**task, "status": "done", "completed": "2026-11-23T09:00:00+01:00"}
    cancelled = {**task, "status": "cancelled"}
    assert [c.field for c in merge_record(task, done, cancelled).conflicts] == ["status"]


# --- item 3: stage history stays true ---------------------------------------------------


def _both_move_acme_website(team, as_user, monkeypatch) -> None:
    as_user("ann")
    monkeypatch.setenv("TCRM_NOW", "2026-11-20T09:00:00+00:00")
    moved = run("-w", team["ann"], "deal", "move", "acme-website", "qualified")
    assert moved.code == 0, moved.err
    as_user("ben")
    edit(team["ben"], "deal", "acme-website", "deal acme-website: set amount", amount="9000")
    monkeypatch.setenv("TCRM_NOW", "2026-11-20T10:00:00+00:00")
    moved = run("-w", team["ben"], "deal", "move", "acme-website", "proposal")
    assert moved.code == 0, moved.err


def _stage_tasks(root) -> dict[str, str]:
    out = {}
    for path in (root / "tasks").glob("*.yaml"):
        task = record(root, f"tasks/{path.name}")
        out[task["title"]] = task["status"]
    return out


@pytest.mark.parametrize(
    ("how", "merger", "take"),
    [
        ("sync", "ben", "theirs"),
        ("sync", "ben", "mine"),
        ("sync", "ann", "theirs"),
        ("sync", "ann", "mine"),
        ("pull", "ben", "theirs"),
        ("pull", "ann", "mine"),
    ],
)
def test_resolving_a_stage_conflict_makes_history_end_with_the_kept_stage(
    team, as_user, monkeypatch, how, merger, take
) -> None:
    _both_move_acme_website(team, as_user, monkeypatch)  # ann: qualified, ben: proposal
    moves = {"ann": "qualified", "ben": "proposal"}
    first = "ann" if merger == "ben" else "ben"
    as_user(first)
    if how == "sync":
        sync(team[first])
    else:
        git(team[first], "push", "-q")
    as_user(merger)  # mine = the merger's move, theirs = the other's
    root = team[merger]
    if how == "sync":
        sync(root)
    else:
        pull(root)
    deal = record(root, "deals/acme-website.yaml")
    assert [c["field"] for c in deal["conflicts"]] == ["stage"]
    assert deal["stage"] == moves[merger]
    assert deal["stage_history"][-1]["stage"] == moves[merger]  # true while open, too
    resolved = run("-w", root, "resolve", "acme-website", "--take", take)
    assert resolved.code == 0, resolved.err
    kept = moves[merger] if take == "mine" else moves[first]
    lost = moves[first] if take == "mine" else moves[merger]
    deal = record(root, "deals/acme-website.yaml")
    assert deal["stage"] == kept
    assert [e["stage"] for e in deal["stage_history"]] == ["lead", kept]
    loser_task = {"proposal": "Send the proposal", "qualified": "Schedule a discovery call"}
    tasks = _stage_tasks(root)
    assert tasks[loser_task[lost]] == "cancelled", tasks
    assert tasks[loser_task[kept]] == "open", tasks
    changed = git(root, "show", "--name-only", "--format=", "HEAD").split()
    assert "deals/acme-website.yaml" in changed and len(changed) == 2, changed
    assert run("-w", root, "check").code == 0
    for user in (merger, first, "chloe"):
        as_user(user)
        if how == "sync":
            sync(team[user])
        else:
            pull(team[user])
            git(team[user], "push", "-q")
    for user in ("ann", "ben", "chloe"):
        deal = record(team[user], "deals/acme-website.yaml")
        assert (deal["stage"], deal["stage_history"][-1]["stage"]) == (kept, kept)
        assert _stage_tasks(team[user])[loser_task[lost]] == "cancelled"
        assert run("-w", team[user], "check").code == 0
        assert_healthy(team[user])


def test_both_sides_correcting_one_history_entry_is_a_conflict_not_a_duplicate() -> None:
    from tcrm.model.merge import merge_record

    entry = {"at": "2026-11-02T10:00+01:00", "stage": "lead"}
    moved = {"at": "2026-11-05T10:00+01:00", "stage": "qualified"}
    base = {"title": "W", "stage": "qualified", "stage_history": [entry, moved]}
    mine = {**base, "stage_history": [{**entry, "at": "2026-11-01T10:00+01:00"}, moved]}
    theirs = {**base, "stage_history": [{**entry, "at": "2026-11-03T10:00+01:00"}, moved]}
    result = merge_record(base, mine, theirs)
    assert len(result.data["stage_history"]) == 2, result.data["stage_history"]
    assert result.data["stage_history"][0]["at"] == "2026-11-01T10:00+01:00"
    assert [c.field for c in result.conflicts] == ["stage_history[2026-11-01T10:00+01:00 lead]"]
    assert result.conflicts[0].theirs == {**entry, "at": "2026-11-03T10:00+01:00"}
    # one side corrects an entry, the other adds a move: both land, no conflict
    added = {"at": "2026-11-09T10:00+01:00", "stage": "proposal"}
    theirs = {**base, "stage": "proposal", "stage_history": [entry, moved, added]}
    result = merge_record(base, mine, theirs)
    assert result.clean
    assert result.data["stage_history"] == [mine["stage_history"][0], moved, added]


def test_comments_in_tcrm_yaml_from_both_sides_are_kept(tmp_path) -> None:
    from tcrm.services.setup import init_workspace

    base = (init_workspace(tmp_path / "crm").root / "tcrm.yaml").read_text(encoding="utf-8")
    mine = base.replace("timezone: UTC\n", "timezone: UTC  # mine: the office's\n")
    theirs = base.replace(
        "  - id: proposal\n", "  # theirs: the proposal needs a price\n  - id: proposal\n"
    ).replace("currency: EUR\n", "currency: EUR  # theirs: we bill in euro\n")
    result = merge_file("tcrm.yaml", base.encode(), mine.encode(), theirs.encode())
    text = result.data.decode()
    assert result.merged and result.conflicts == []
    assert "timezone: UTC  # mine: the office's\n" in text
    assert "currency: EUR  # theirs: we bill in euro\n" in text
    assert "  # theirs: the proposal needs a price\n  - id: proposal\n" in text
    assert text.startswith("# tcrm workspace settings.")  # the header stays on top
    assert yamlio.load_fast(text) == yamlio.load_fast(base)
