"""Team sync over a real bare remote with real clones: ``tcrm sync``, plain ``git pull``
with the merge driver, ``clone``, ``remote``, ``conflicts`` and ``resolve``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

from tcrm.model.records import Client, Deal, Task
from tcrm.services.setup import init_workspace
from tcrm.store import git as git_store
from tcrm.store.workspace import Workspace
from tcrm.store.yamlio import load_fast
from tests.clitools import assert_refused, commit_count, git, run, snapshot, status_clean
from tests.teamtools import assert_healthy, edit, put, record, records_of, sync


def plain(conflict: dict[str, Any]) -> dict[str, Any]:
    """A conflict entry without who made each side (tests/test_sync_team.py checks those)."""
    sides = ("mine_by", "mine_commit", "theirs_by", "theirs_commit")
    return {k: v for k, v in conflict.items() if k not in sides}


def test_clone_gives_a_ready_workspace_with_the_merge_driver(team) -> None:
    ben = team["ben"]
    assert records_of(ben) == records_of(team["ann"])
    driver = git(ben, "config", "merge.tcrm.driver").strip()
    assert driver == f"{sys.executable} -m tcrm merge-driver %O %A %B %P"
    assert git(ben, "check-attr", "merge", "deals/acme-website.yaml").strip().endswith(": tcrm")
    assert git(ben, "check-attr", "merge", "kb/faq.md").strip().endswith(": unspecified")
    assert git(ben, "config", "branch.main.remote").strip() == "origin"
    assert status_clean(ben)
    assert run("-w", ben, "check").code == 0


def test_init_installs_the_merge_driver_without_adding_files(tmp_path) -> None:
    result = run("init", tmp_path / "crm")
    assert result.code == 0, result.err
    root = tmp_path / "crm"
    assert git(root, "ls-files").split() == [".gitignore", "tcrm.yaml"]
    assert "tcrm merge-driver" in git(root, "config", "merge.tcrm.driver")
    assert git(root, "check-attr", "merge", "clients/acme.yaml").strip().endswith(": tcrm")
    assert git(root, "check-attr", "merge", "tcrm.yaml").strip().endswith(": tcrm")


def test_three_clones_sync_every_change_and_report_the_one_conflict(team, as_user) -> None:
    ann, ben, chloe = team["ann"], team["ben"], team["chloe"]
    as_user("ann")  # a stage move: one field of the deal, and its history
    edit(
        ann,
        "deal",
        "acme-website",
        "deal acme-website: lead -> qualified",
        stage="qualified",
        stage_history=[
            {"at": "2026-11-02T10:00+01:00", "stage": "lead"},
            {"at": "2026-11-20T09:00+01:00", "stage": "qualified"},
        ],
    )
    edit(ann, "client", "acme", "client acme: tag vip", tags=["smb", "vip"])
    as_user("ben")  # another field of the same deal; a tag; and beta-app's probability
    edit(ben, "deal", "acme-website", "deal acme-website: set amount", amount="12000")
    edit(ben, "client", "acme", "client acme: tag enterprise", tags=["smb", "enterprise"])
    edit(ben, "deal", "beta-app", "deal beta-app: set probability", probability=40)
    as_user("chloe")  # a different record; and the same field of beta-app, differently
    edit(chloe, "client", "beta", "client beta: set status", status="active")
    edit(chloe, "deal", "beta-app", "deal beta-app: set probability", probability=60)

    def synced(root):  # after every sync: fsck clean, nothing uncommitted, no markers
        report = sync(root)
        assert_healthy(root)
        return report

    as_user("ann")
    assert synced(ann)["action"] == "pushed"
    as_user("ben")
    report = synced(ben)
    assert (report["action"], report["incoming"], report["conflicts"]) == ("merged", 2, [])
    assert report["pushed"] is True
    as_user("chloe")
    report = synced(chloe)
    assert report["action"] == "merged"
    assert [plain(c) for c in report["conflicts"]] == [
        {"path": "deals/beta-app.yaml", "field": "probability", "mine": "60", "theirs": "40"}
    ]
    as_user("ann")
    assert synced(ann)["action"] == "fast-forward"
    as_user("ben")
    assert synced(ben)["action"] == "fast-forward"

    # Every non-conflicting change is in every clone, and the clones agree byte for byte.
    assert records_of(ann) == records_of(ben) == records_of(chloe)
    for root in (ann, ben, chloe):
        deal = record(root, "deals/acme-website.yaml")
        assert (deal["stage"], deal["amount"]) == ("qualified", "12000")
        assert [e["stage"] for e in deal["stage_history"]] == ["lead", "qualified"]
        assert record(root, "clients/beta.yaml")["status"] == "active"
        assert record(root, "clients/acme.yaml")["tags"] == ["smb", "enterprise", "vip"]
        assert record(root, "deals/beta-app.yaml")["probability"] == "60"  # chloe merged: hers
        assert_healthy(root)
    merges = git(ann, "rev-list", "--merges", "HEAD").split()
    assert len(merges) == 2
    for merge in merges:
        assert len(git(ann, "log", "-1", "--format=%P", merge).split()) == 2
    graph = git(ann, "log", "--graph", "--oneline")
    assert "sync: merge origin/main" in graph and "|\\" in graph

    # The one real conflict: reported by check and conflicts, resolvable anywhere.
    listed = run("-w", ben, "conflicts", "--json")
    assert listed.code == 0
    [conflict] = json.loads(listed.out)
    assert conflict["path"] == "deals/beta-app.yaml" and conflict["line"] == 2
    assert (conflict["kind"], conflict["id"], conflict["field"]) == (
        "deal",
        "beta-app",
        "probability",
    )
    assert (conflict["mine"], conflict["theirs"], conflict["base"]) == ("60", "40", None)
    checked = run("-w", ben, "check")
    assert checked.code == 1
    [line] = checked.out.splitlines()
    assert re.fullmatch(
        r"deals/beta-app\.yaml:2: conflict in probability: mine=60 \(Chloe Martin, \w{8}\), "
        r"theirs=40 \(Ben Okafor, \w{8}\) "
        r"\(resolve with tcrm resolve beta-app --take mine\|theirs\|probability=VALUE\)",
        line,
    ), line
    before = commit_count(ben)
    resolved = run("-w", ben, "resolve", "beta-app", "--take", "probability=50")
    assert resolved.code == 0, resolved.err
    assert commit_count(ben) == before + 1
    assert git(ben, "log", "-1", "--format=%s").strip() == (
        "deal beta-app: resolve conflict in probability (value)"
    )
    assert status_clean(ben)
    assert "conflicts" not in record(ben, "deals/beta-app.yaml")
    assert record(ben, "deals/beta-app.yaml")["probability"] == "50"
    assert run("-w", ben, "check").code == 0
    for user in ("ben", "ann", "chloe"):
        as_user(user)
        synced(team[user])
    assert records_of(ann) == records_of(ben) == records_of(chloe)
    for root in (ann, ben, chloe):
        assert json.loads(run("-w", root, "conflicts", "--json").out) == []
        assert run("-w", root, "check").code == 0
        assert_healthy(root)


def test_the_same_through_plain_git_pull_with_the_merge_driver(team, as_user) -> None:
    ann, ben, chloe = team["ann"], team["ben"], team["chloe"]
    as_user("ann")
    edit(ann, "deal", "acme-website", "deal acme-website: lead -> qualified", stage="qualified")
    as_user("ben")
    edit(ben, "deal", "acme-website", "deal acme-website: set amount", amount="12000")
    edit(ben, "deal", "beta-app", "deal beta-app: set probability", probability=40)
    as_user("chloe")
    edit(chloe, "client", "beta", "client beta: set status", status="active")
    edit(chloe, "deal", "beta-app", "deal beta-app: set probability", probability=60)
    for user in ("ann", "ben", "chloe"):
        git(team[user], "config", "pull.rebase", "false")

    for user in ("ann", "ben", "chloe", "ann", "ben"):
        as_user(user)
        git(team[user], "pull", "--no-edit")
        assert_healthy(team[user])
        git(team[user], "push")
    assert records_of(ann) == records_of(ben) == records_of(chloe)
    for root in (ann, ben, chloe):
        deal = record(root, "deals/acme-website.yaml")
        assert (deal["stage"], deal["amount"]) == ("qualified", "12000")
        assert record(root, "clients/beta.yaml")["status"] == "active"
        beta_app = record(root, "deals/beta-app.yaml")
        assert beta_app["probability"] == "60"
        assert [plain(c) for c in beta_app["conflicts"]] == [
            {"field": "probability", "mine": "60", "theirs": "40"}
        ]
        assert_healthy(root)
    assert run("-w", ann, "check").out.startswith("deals/beta-app.yaml:2: conflict in probability")
    resolved = run("-w", ann, "resolve", "deals/beta-app.yaml", "--take", "theirs")
    assert resolved.code == 0, resolved.err
    assert record(ann, "deals/beta-app.yaml")["probability"] == "40"
    assert run("-w", ann, "check").code == 0


def test_two_clones_adding_acme_both_survive(team, as_user) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    put(
        ann,
        "client acme-gmbh: add",
        Client(id="acme-gmbh", name="Acme", website="acme.example"),
        Deal(id="acme-gmbh-shop", title="Shop", client="acme-gmbh", pipeline="sales", stage="lead"),
        create=True,
    )
    as_user("ben")
    put(
        ben,
        "client acme-gmbh: add",
        Client(id="acme-gmbh", name="Acme", status="lead", notes="met at the fair"),
        Deal(
            id="acme-gmbh-shop", title="Webshop", client="acme-gmbh", pipeline="sales", stage="lead"
        ),
        Task(
            id="t2k3m4n5",
            title="Call Acme",
            clients=["acme-gmbh", "beta"],
            deals=["acme-gmbh-shop"],
        ),
        create=True,
    )
    as_user("ann")
    sync(ann)
    as_user("ben")
    report = sync(ben)
    assert report["renamed"] == [
        {"from": "clients/acme-gmbh.yaml", "to": "clients/acme-gmbh-2.yaml"},
        {"from": "deals/acme-gmbh-shop.yaml", "to": "deals/acme-gmbh-shop-2.yaml"},
    ]
    assert any("acme-gmbh-2" in note for note in report["notes"])
    as_user("ann")
    sync(ann)
    assert records_of(ann) == records_of(ben)
    for root in (ann, ben):
        assert record(root, "clients/acme-gmbh.yaml") == {
            "name": "Acme",
            "type": "company",
            "website": "acme.example",
        }
        assert record(root, "clients/acme-gmbh-2.yaml")["notes"] == "met at the fair"
        assert record(root, "deals/acme-gmbh-shop.yaml")["client"] == "acme-gmbh"
        assert record(root, "deals/acme-gmbh-shop-2.yaml")["client"] == "acme-gmbh-2"
        task = record(root, "tasks/t2k3m4n5.yaml")
        assert task["clients"] == ["acme-gmbh-2", "beta"]
        assert task["deals"] == ["acme-gmbh-shop-2"]
        assert run("-w", root, "check").code == 0
        assert_healthy(root)
    body = git(ben, "log", "-1", "--format=%B", "--merges")
    assert "Renamed: clients/acme-gmbh.yaml -> clients/acme-gmbh-2.yaml" in body


def test_deleted_here_and_changed_there_is_kept_and_reported(team, as_user) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    ws = Workspace(ann)
    with ws.transaction("deal beta-app: delete") as tx:
        tx.delete("deal", "beta-app")
    sync(ann)
    as_user("ben")
    edit(ben, "deal", "beta-app", "deal beta-app: set amount", amount="900")
    report = sync(ben)
    assert report["notes"] == [
        "deals/beta-app.yaml: deleted by them but changed here; kept your version"
    ]
    as_user("ann")
    sync(ann)
    assert record(ann, "deals/beta-app.yaml")["amount"] == "900"
    assert_healthy(ann)


def test_a_push_race_fetches_and_merges_again(team, as_user, monkeypatch) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    edit(ann, "client", "beta", "client beta: set status", status="active")
    as_user("ben")
    edit(ben, "client", "acme", "client acme: tag vip", tags=["smb", "vip"])
    real_push = git_store.push
    raced = []

    def push_after_a_teammate(*args: Any, **kwargs: Any) -> None:
        if not raced:  # ann pushes between ben's fetch and ben's push
            raced.append(True)
            as_user("ann")
            assert sync(ann)["pushed"] is True
            as_user("ben")
        real_push(*args, **kwargs)

    monkeypatch.setattr(git_store, "push", push_after_a_teammate)
    report = sync(ben)
    assert report["pushed"] is True and raced
    as_user("ann")
    sync(ann)
    assert records_of(ann) == records_of(ben)
    assert record(ann, "clients/beta.yaml")["status"] == "active"
    assert record(ann, "clients/acme.yaml")["tags"] == ["smb", "vip"]
    assert_healthy(ann)


def test_dry_run_changes_nothing(team, as_user) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    edit(ann, "deal", "beta-app", "deal beta-app: set probability", probability=40)
    sync(ann)
    as_user("ben")
    edit(ben, "deal", "beta-app", "deal beta-app: set probability", probability=60)
    before, commits = snapshot(ben), commit_count(ben)
    tracking = git(ben, "rev-parse", "refs/remotes/origin/main")
    report = sync(ben, "--dry-run")
    assert (report["action"], report["dry_run"], report["pushed"]) == ("merged", True, False)
    assert report["changed"] == ["deals/beta-app.yaml"]
    assert report["conflicts"][0]["field"] == "probability"
    assert snapshot(ben) == before and commit_count(ben) == commits
    assert git(ben, "rev-parse", "refs/remotes/origin/main") == tracking
    human = run("-w", ben, "sync", "--dry-run")
    assert human.code == 3  # the sync would leave a conflict
    assert "Would merge 1 commit(s) from origin/main" in human.err
    assert "conflict: deals/beta-app.yaml: conflict in probability" in human.err


def test_an_unreachable_remote_is_one_line_and_changes_nothing(team, tmp_path) -> None:
    ann = team["ann"]
    assert run("-w", ann, "remote", "add", "backup", tmp_path / "nowhere").code == 0
    edit(ann, "client", "beta", "client beta: set status", status="active")
    before, commits = snapshot(ann), commit_count(ann)
    result = run("-w", ann, "sync", "--remote", "backup")
    assert_refused(ann, result, before, commits)
    assert "cannot reach remote 'backup'" in result.err
    assert "nothing was changed locally" in result.err
    result = run("-w", ann, "sync", "--remote", "nope")
    assert_refused(ann, result, before, commits)
    assert "no remote 'nope'" in result.err


def test_uncommitted_changes_are_refused_before_anything_happens(team) -> None:
    ann = team["ann"]
    path = ann / "clients/beta.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "notes: by hand\n", encoding="utf-8")
    before, commits = snapshot(ann), commit_count(ann)
    result = run("-w", ann, "sync")
    assert_refused(ann, result, before, commits)
    assert "clients/beta.yaml has uncommitted changes" in result.err


def test_a_relative_remote_path_is_stored_absolute(team, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("-w", team["ann"], "remote", "add", "copy", "remote.git").code == 0
    assert git(team["ann"], "config", "remote.copy.url").strip() == str(team["remote"])
    assert run("clone", "remote.git", "dan").code == 0
    assert git(tmp_path / "dan", "config", "remote.origin.url").strip() == str(team["remote"])


def test_remote_add_and_list(team, tmp_path) -> None:
    ann = team["ann"]
    listed = json.loads(run("-w", ann, "remote", "list", "--json").out)
    assert listed == [{"name": "origin", "url": str(team["remote"])}]
    before, commits = snapshot(ann), commit_count(ann)
    assert_refused(ann, run("-w", ann, "remote", "add", "origin", tmp_path), before, commits)
    assert_refused(ann, run("-w", ann, "remote", "add", "bad name", tmp_path), before, commits)


def test_clone_refuses_what_is_not_a_workspace_and_a_non_empty_folder(tmp_path, team) -> None:
    other = tmp_path / "plain"
    subprocess.run(["git", "init", "-q", str(other)], check=True)
    (other / "README").write_text("hi\n")
    git(other, "add", "README")
    git(other, "commit", "-q", "-m", "readme")
    result = run("clone", other, tmp_path / "copy")
    assert result.code != 0 and result.err.startswith("tcrm: error: ")
    assert "not a tcrm workspace" in result.err
    assert not (tmp_path / "copy").exists()
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("keep me")
    result = run("clone", team["remote"], busy)
    assert result.code != 0 and "not empty" in result.err
    assert (busy / "x").read_text() == "keep me"
    empty = tmp_path / "empty.git"
    subprocess.run(["git", "init", "--bare", "-q", str(empty)], check=True)
    result = run("clone", empty, tmp_path / "copy3")
    assert result.code != 0 and "is empty; push a workspace to it first" in result.err
    assert not (tmp_path / "copy3").exists()
    result = run("clone", tmp_path / "missing.git", tmp_path / "copy2")
    assert result.code != 0 and "cannot reach remote" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "copy2").exists()


def test_resolve_refuses_what_would_break_the_record(team, as_user) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    edit(ann, "deal", "beta-app", "deal beta-app: set probability", probability=40)
    sync(ann)
    as_user("ben")
    edit(ben, "deal", "beta-app", "deal beta-app: set probability", probability=60)
    sync(ben)
    before, commits = snapshot(ben), commit_count(ben)
    for args in (
        ["resolve", "beta-app"],  # no --take
        ["resolve", "beta-app", "--take", "probability=200"],  # out of range for the model
        ["resolve", "beta-app", "--take", "stage=theirs"],  # no conflict on stage
        ["resolve", "acme", "--take", "mine"],  # no conflicts there
    ):
        result = run("-w", ben, *args)
        assert_refused(ben, result, before, commits)
    assert "probability" in run("-w", ben, "resolve", "beta-app", "--take", "probability=200").err
    ok = run("-w", ben, "resolve", "beta-app", "--take", "mine")
    assert ok.code == 0 and record(ben, "deals/beta-app.yaml")["probability"] == "60"


def test_merge_driver_writes_the_merged_record_and_exits_zero_with_conflicts(tmp_path) -> None:
    base = tmp_path / "base"
    ours = tmp_path / "ours"
    theirs = tmp_path / "theirs"
    deal = "# note\ntitle: W\nclient: acme\npipeline: sales\nstage: lead\n"
    base.write_text(deal)
    ours.write_text(deal.replace("lead", "qualified"))
    theirs.write_text(deal.replace("lead", "proposal") + "amount: 5\n")
    result = run("merge-driver", base, ours, theirs, "deals/w.yaml")
    assert result.code == 0
    assert "conflict in stage" in result.err
    merged = ours.read_text()
    assert merged.startswith("# note\nconflicts:\n- field: stage\n  mine: qualified\n")
    assert load_fast(merged)["amount"] == "5"
    ours.write_text("title: [broken\n")
    result = run("merge-driver", base, ours, theirs, "deals/w.yaml")
    assert result.code == 1 and ours.read_text() == "title: [broken\n"


@pytest.fixture
def http_remote(tmp_path):
    """A bare repository served over smart HTTP (dulwich's WSGI server) on localhost."""
    import threading

    from dulwich.repo import Repo
    from dulwich.server import DictBackend
    from dulwich.web import (
        WSGIRequestHandlerLogger,
        WSGIServerLogger,
        make_server,
        make_wsgi_chain,
    )

    bare = tmp_path / "served.git"
    subprocess.run(["git", "init", "--bare", "-q", str(bare)], check=True)
    repo = Repo(str(bare))
    server = make_server(
        "127.0.0.1",
        0,
        make_wsgi_chain(DictBackend({"/": repo})),
        handler_class=WSGIRequestHandlerLogger,
        server_class=WSGIServerLogger,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()
    repo.close()


def test_sync_and_clone_over_http(tmp_path, http_remote, as_user) -> None:
    as_user("ann")
    ann = init_workspace(tmp_path / "ann", name="Team Co").root
    put(ann, "client acme: add", Client(id="acme", name="Acme"), create=True)
    assert run("-w", ann, "remote", "add", "origin", http_remote).code == 0
    assert sync(ann)["action"] == "pushed"
    result = run("clone", http_remote, tmp_path / "ben")
    assert result.code == 0, result.err
    ben = tmp_path / "ben"
    as_user("ben")
    edit(ben, "client", "acme", "client acme: set status", status="active")
    as_user("ann")
    edit(ann, "client", "acme", "client acme: tag vip", tags=["vip"])
    sync(ann)
    as_user("ben")
    assert sync(ben)["action"] == "merged"
    as_user("ann")
    sync(ann)
    assert records_of(ann) == records_of(ben)
    assert record(ann, "clients/acme.yaml") == {
        "name": "Acme",
        "type": "company",
        "status": "active",
        "tags": ["vip"],
    }
    assert_healthy(ann)
    assert_healthy(ben)


def test_an_unreachable_http_remote_is_one_line(team) -> None:
    ann = team["ann"]
    assert run("-w", ann, "remote", "add", "web", "http://127.0.0.1:9/crm.git").code == 0
    before, commits = snapshot(ann), commit_count(ann)
    result = run("-w", ann, "sync", "--remote", "web")
    assert_refused(ann, result, before, commits)
    assert "cannot reach remote 'web' (http://127.0.0.1:9/crm.git)" in result.err


def test_sync_never_overwrites_a_file_git_does_not_track(team, as_user) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    put(ann, "client gamma: add", Client(id="gamma", name="Gamma"), create=True)
    sync(ann)
    (ben / "clients/gamma.yaml").write_text("name: My own gamma\n")  # not committed
    before, commits = snapshot(ben), commit_count(ben)
    result = run("-w", ben, "sync")
    assert_refused(ben, result, before, commits)
    assert "clients/gamma.yaml is not committed and the sync would overwrite it" in result.err


def test_a_settings_conflict_is_recorded_in_tcrm_yaml_and_resolvable(team, as_user) -> None:
    ann, ben = team["ann"], team["ben"]
    old = "  - id: proposal\n    name: Proposal\n    probability: 50\n"

    def set_probability(root, value: str) -> None:
        text = (root / "tcrm.yaml").read_text(encoding="utf-8")
        ws = Workspace(root)
        with ws.transaction(f"settings: proposal probability {value}") as tx:
            tx.write_text("tcrm.yaml", text.replace(old, old.replace("50", value)))

    as_user("ann")
    set_probability(ann, "55")
    sync(ann)
    as_user("ben")
    set_probability(ben, "60")
    report = sync(ben)
    field = "pipelines[sales].stages[proposal].probability"
    assert [plain(c) for c in report["conflicts"]] == [
        {"path": "tcrm.yaml", "field": field, "mine": "60", "theirs": "55"}
    ]
    text = (ben / "tcrm.yaml").read_text(encoding="utf-8")
    assert text.startswith("# tcrm workspace settings.")  # comments survive the merge
    checked = run("-w", ben, "check")
    assert checked.code == 1
    [line] = checked.out.splitlines()
    assert line.startswith(f"tcrm.yaml:5: conflict in {field}: mine=60 (Ben Okafor, ")
    assert ", theirs=55 (Ann Becker, " in line
    resolved = run("-w", ben, "resolve", "tcrm.yaml", "--take", "theirs")
    assert resolved.code == 0, resolved.err
    assert git(ben, "log", "-1", "--format=%s").strip() == (
        f"settings: resolve conflict in {field} (theirs)"
    )
    assert "probability: 55\n" in (ben / "tcrm.yaml").read_text(encoding="utf-8")
    assert run("-w", ben, "check").code == 0
    assert_healthy(ben)
