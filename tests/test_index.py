"""The local index (.tcrm/index.sqlite): invisible, fresh after every kind of change,
rebuilt when missing, stale or corrupt, and never needed by ``tcrm check``."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tcrm.devtools.generate import write_generated_workspace
from tcrm.model.records import RECORD_TYPES
from tcrm.store.gitcli import parse_status
from tcrm.store.index import INDEX_FILE, Index
from tcrm.store.workspace import Workspace
from tests.clitools import NOW, copy_workspace, git, run, status_clean

pytestmark = pytest.mark.xdist_group("index")
"""One worker for the module: its module-scoped fixture is built once (``--dist loadgroup``)."""

IDENTITY = {
    "GIT_AUTHOR_NAME": "Ann Tester",
    "GIT_AUTHOR_EMAIL": "ann@example.com",
    "GIT_COMMITTER_NAME": "Ann Tester",
    "GIT_COMMITTER_EMAIL": "ann@example.com",
}


@pytest.fixture(scope="module")
def _generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("generated") / "ws"
    with pytest.MonkeyPatch.context() as patch:
        for var, value in IDENTITY.items():
            patch.setenv(var, value)
        write_generated_workspace(root, clients=60, deals=120, tasks=300, activities=200)
    return root


@pytest.fixture
def ws_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _generated: Path) -> Path:
    for var, value in {**IDENTITY, "TCRM_NOW": NOW}.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("TCRM_INDEX", raising=False)
    root = tmp_path / "ws"
    copy_workspace(_generated, root)
    monkeypatch.setenv("TCRM_WORKSPACE", str(root))
    return root


def index_file(root: Path) -> Path:
    return root / ".tcrm" / INDEX_FILE


def dump(records: list[Any]) -> list[dict[str, Any]]:
    return [{"id": r.id, **r.model_dump(mode="json")} for r in records]


def from_files(root: Path, kind: str) -> list[dict[str, Any]]:
    """What reading every file says, without the index."""
    ws = Workspace(root)
    ws._index = False  # never look at the index
    return dump(ws.load_all(kind, problems=[]))


def from_index(root: Path, kind: str) -> list[dict[str, Any]]:
    ws = Workspace(root)
    assert ws.index() is not None
    return dump(ws.load_all(kind, problems=[]))


def assert_same(root: Path) -> None:
    for kind in RECORD_TYPES:
        assert from_index(root, kind) == from_files(root, kind), kind


def reparsed(root: Path) -> int:
    """How many files the next refresh reads again."""
    ws = Workspace(root)
    index = ws.index()
    assert index is not None
    return index.last_reparsed


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def task_file(root: Path, n: int = 0) -> Path:
    return sorted((root / "tasks").glob("*.yaml"))[n]


READS = [
    ("today", "--json"),
    ("task", "list", "--json"),
    ("task", "list", "--today", "--json"),
    ("task", "list", "--overdue", "--json"),
    ("task", "list", "--week", "--json"),
    ("task", "list", "--all", "--json"),
    ("task", "list", "--assignee", "ben", "--json"),
    ("deal", "list", "--json"),
    ("deal", "list", "--all", "--json"),
    ("deal", "list", "--stage", "proposal", "--json"),
    ("deal", "list", "--stale", "--json"),
    ("client", "list", "--json"),
    ("activity", "list", "--json"),
    ("pipeline", "--json"),
    ("search", "an", "--json"),
]


def test_every_read_command_answers_the_same_with_and_without_the_index(
    ws_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clients = json.loads(run("client", "list", "--json").out)
    busiest = [c["id"] for c in clients[:3]]
    reads = READS + [("client", "show", c, "--json") for c in busiest]
    with_index = [run(*args) for args in reads]
    assert index_file(ws_root).exists()
    monkeypatch.setenv("TCRM_INDEX", "off")
    index_file(ws_root).unlink()
    without = [run(*args) for args in reads]
    assert not index_file(ws_root).exists()  # off means off
    for args, a, b in zip(reads, with_index, without, strict=True):
        assert a.code == b.code == 0, (args, a.err, b.err)
        assert a.out == b.out, args
        assert json.loads(a.out) or args[0] in ("search",), args  # something to compare


def test_first_read_builds_it_and_git_never_sees_it(ws_root: Path) -> None:
    assert not index_file(ws_root).exists()
    assert run("task", "list").code == 0
    assert index_file(ws_root).exists()
    assert status_clean(ws_root)
    state = json.loads(run("index", "status", "--json").out)
    assert state["counts"] == {"activity": 200, "client": 60, "deal": 120, "task": 300}
    assert state["head"] == git(ws_root, "rev-parse", "HEAD").strip()
    assert state["reparsed"] == 0  # nothing changed since the build


def test_a_file_edited_in_place_by_hand_is_seen(ws_root: Path) -> None:
    path = task_file(ws_root)
    run("task", "list")
    text = path.read_text()
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    with open(path, "r+", encoding="utf-8") as f:  # in place: same inode, as VS Code saves
        f.write(text.replace(title, "title: Edited by hand in place"))
        f.truncate()
    assert reparsed(ws_root) == 1
    shown = json.loads(run("task", "show", path.stem, "--json").out)
    assert shown["title"] == "Edited by hand in place"
    assert_same(ws_root)


def test_files_created_and_deleted_by_hand_are_seen(ws_root: Path) -> None:
    run("task", "list")
    new = ws_root / "tasks" / "tbyhand1.yaml"
    new.write_text("title: Written by hand\ndue: 2026-11-23\n", encoding="utf-8")
    gone = task_file(ws_root, 5)
    gone.unlink()
    ids = {t["id"] for t in json.loads(run("task", "list", "--all", "--json").out)}
    assert "tbyhand1" in ids
    assert gone.stem not in ids
    assert_same(ws_root)


def test_broken_file_is_skipped_like_before_and_check_reads_files_itself(ws_root: Path) -> None:
    run("task", "list")
    bad = task_file(ws_root, 3)
    bad.write_text("title: [unclosed\n", encoding="utf-8")
    assert_same(ws_root)
    index_file(ws_root).unlink()
    result = run("check")
    assert result.code == 1
    assert f"tasks/{bad.name}:1:" in result.out
    assert not index_file(ws_root).exists()  # check never builds or needs the index


def test_commits_made_with_git_and_history_rewrites_are_followed(ws_root: Path) -> None:
    run("task", "list")
    start = git(ws_root, "rev-parse", "HEAD").strip()
    path = task_file(ws_root, 7)
    path.write_text(path.read_text().replace("title:", "title: Pulled", 1), encoding="utf-8")
    (ws_root / "tasks" / "tpulled1.yaml").write_text("title: From a pull\n", encoding="utf-8")
    commit_all(ws_root, "a commit made elsewhere")
    assert_same(ws_root)
    git(ws_root, "reset", "-q", "--hard", start)  # and taken back
    assert not (ws_root / "tasks" / "tpulled1.yaml").exists()
    assert_same(ws_root)
    titles = {t["title"] for t in json.loads(run("task", "list", "--all", "--json").out)}
    assert not any(t.startswith("Pulled") for t in titles)


def test_a_reverted_hand_edit_is_seen(ws_root: Path) -> None:
    path = task_file(ws_root, 2)
    original = path.read_text()
    path.write_text(original.replace("title:", "title: Draft", 1), encoding="utf-8")
    assert_same(ws_root)  # the index now holds the edit (a dirty file)
    git(ws_root, "checkout", "--", str(path.relative_to(ws_root)))
    assert path.read_text() == original
    assert_same(ws_root)


def test_tcrm_writes_update_it_in_the_same_step(ws_root: Path) -> None:
    run("task", "list")
    added = run("task", "add", "Indexed as written", "--due", "today")
    assert added.code == 0, added.err
    ws = Workspace(ws_root)
    index = ws.index()
    assert index is not None
    assert index.last_reparsed == 0  # nothing to read again: the write told the index
    assert "indexed as written" in {
        r[0] for r in index.query("SELECT label FROM records WHERE kind = 'task'")
    }
    head = index.scalar("SELECT value FROM meta WHERE key = 'head'")
    assert head == git(ws_root, "rev-parse", "HEAD").strip()
    assert_same(ws_root)


def test_a_corrupt_index_is_rebuilt(ws_root: Path) -> None:
    run("task", "list")
    index_file(ws_root).write_bytes(b"this is not a database" * 100)
    for extra in ("-wal", "-shm"):
        Path(f"{index_file(ws_root)}{extra}").unlink(missing_ok=True)
    result = run("task", "list", "--json")
    assert result.code == 0
    assert len(json.loads(result.out)) > 0
    sqlite3.connect(index_file(ws_root)).execute("SELECT COUNT(*) FROM records").fetchone()
    assert_same(ws_root)


def test_an_index_of_another_schema_is_rebuilt(ws_root: Path) -> None:
    run("task", "list")
    with sqlite3.connect(index_file(ws_root)) as conn:
        conn.execute("UPDATE meta SET value = 'old' WHERE key = 'schema'")
        conn.execute("DELETE FROM records WHERE kind = 'client'")  # would show if kept
    assert from_index(ws_root, "client") == from_files(ws_root, "client")


def test_rebuild_command(ws_root: Path) -> None:
    run("task", "list")
    with sqlite3.connect(index_file(ws_root)) as conn:
        conn.execute("DELETE FROM records WHERE kind = 'deal'")
    result = run("index", "rebuild", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["counts"]["deal"] == 120
    assert json.loads(result.out)["reparsed"] == 680


def test_without_git_every_file_is_stat_ed_instead(ws_root: Path) -> None:
    index = Index(ws_root, Workspace(ws_root).ensure_local_dir(), use_git=False)
    index.refresh()
    path = task_file(ws_root, 9)
    path.write_text(path.read_text().replace("title:", "title: No git", 1), encoding="utf-8")
    (ws_root / "tasks" / "tnogit01.yaml").write_text("title: New\n", encoding="utf-8")
    task_file(ws_root, 11).unlink()
    assert index.refresh() >= 2
    ws = Workspace(ws_root)
    ws._index = index
    assert dump(ws.load_all("task", problems=[])) == from_files(ws_root, "task")


def test_index_off_and_unwritable_local_dir_fall_back_to_files(
    ws_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (ws_root / ".tcrm").mkdir(exist_ok=True)
    index_file(ws_root).mkdir()  # a directory where the database should be
    result = run("task", "list", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)
    assert index_file(ws_root).is_dir()


def test_parse_status_reads_every_kind_of_entry() -> None:
    out = (
        b"# branch.oid 0123456789abcdef0123456789abcdef01234567\0# branch.head main\0"
        b"1 .M N... 100644 100644 100644 aaaa bbbb tasks/t1.yaml\0"
        b"1 A. N... 000000 100644 100644 0000 cccc tasks/with space.yaml\0"
        b"u UU N... 100644 100644 100644 100644 a b c deals/d.yaml\0"
        b"? clients/new.yaml\0! activities/2026/ignored.yaml\0"
    )
    view = parse_status(out)
    assert view.head == "0123456789abcdef0123456789abcdef01234567"
    assert view.dirty == {
        "tasks/t1.yaml",
        "tasks/with space.yaml",
        "deals/d.yaml",
        "clients/new.yaml",
        "activities/2026/ignored.yaml",
    }
    assert view.untracked == {"clients/new.yaml", "activities/2026/ignored.yaml"}
    assert parse_status(b"# branch.oid (initial)\0").head is None


def test_the_index_survives_two_processes_reading_at_once(ws_root: Path) -> None:
    env = {**os.environ, "TCRM_WORKSPACE": str(ws_root)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tcrm.cli.main", "task", "list", "--all", "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    outs = [p.communicate() for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
    assert len({o for o, _ in outs}) == 1
    assert_same(ws_root)


def test_git_status_started_early_is_the_one_the_index_uses(ws_root: Path) -> None:
    from tcrm.store import early

    run("task", "list")  # the index exists: early.start only helps a warm index
    path = task_file(ws_root, 4)
    path.write_text(path.read_text().replace("title:", "title: Early", 1), encoding="utf-8")
    early.start(str(ws_root))
    assert early._pending is not None and early._pending.lock is not None
    other = early.take(ws_root / "elsewhere")  # asked about another root: dropped
    assert other is None and early._pending is None
    early.start(str(ws_root))
    assert reparsed(ws_root) == 1  # the early answer named the edited file
    assert early._pending is None  # taken, and tcrm's lock let go of:
    with Workspace(ws_root).lock():
        pass
    assert_same(ws_root)


def touched(root: Path) -> list[tuple[str, str]]:
    """Each record's last activity moment, as the index keeps it between commands."""
    index = Workspace(root).index()
    assert index is not None
    return index.query("SELECT ref, moment FROM touched ORDER BY ref")


def test_last_activity_per_record_follows_activities_logged_edited_and_removed(
    ws_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = [("today", "--json"), ("deal", "list", "--stale", "--json"), ("pipeline", "--json")]
    before = touched(ws_root)
    client = json.loads(run("client", "list", "--json").out)[0]["id"]
    logged = run("log", client, "call: touched today", "--json")
    assert logged.code == 0, logged.err
    new_id = json.loads(logged.out)["activity"]["id"]
    after_log = touched(ws_root)
    assert after_log != before
    assert f"client:{client}" in dict(after_log)

    activity = sorted((ws_root / "activities").rglob("*.yaml"))[0]  # moved back by hand
    text = activity.read_text(encoding="utf-8")
    old_at = next(line for line in text.splitlines() if line.startswith("at: "))
    activity.write_text(text.replace(old_at, "at: 2001-01-01T09:00+01:00"), encoding="utf-8")
    assert run("activity", "rm", new_id).code == 0

    kept = touched(ws_root)
    index_file(ws_root).unlink()  # the same table built from scratch
    assert touched(ws_root) == kept
    with_index = [run(*args).out for args in reads]
    monkeypatch.setenv("TCRM_INDEX", "off")
    assert [run(*args).out for args in reads] == with_index


def all_record_paths(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root))
        for folder in ("clients", "deals", "tasks", "activities")
        for p in (root / folder).rglob("*.yaml")
    )


def test_revisions_from_the_index_are_those_of_a_walk_of_the_history(ws_root: Path) -> None:
    """SEQUENCE and LAST-MODIFIED of the calendar: the index's per-file history agrees with
    dulwich's walk after tcrm commits, a merge, hand edits, new files and a rewrite."""
    from tcrm.store import git as store_git

    def same() -> None:
        paths = [*all_record_paths(ws_root), "tasks/missing.yaml"]
        index = Workspace(ws_root).index()
        assert index is not None
        from_index = index.revisions(paths)
        assert from_index is not None
        assert from_index == store_git.revisions(ws_root, paths)

    same()
    tasks = json.loads(run("task", "list", "--json").out)
    assert run("task", "snooze", tasks[0]["id"], "+1d").code == 0
    git(ws_root, "checkout", "-q", "-b", "side")
    assert run("task", "snooze", tasks[1]["id"], "+2d").code == 0
    git(ws_root, "checkout", "-q", "-")
    assert run("task", "snooze", tasks[2]["id"], "+3d").code == 0
    git(ws_root, "merge", "-q", "--no-edit", "side")
    assert run("task", "snooze", tasks[1]["id"], "+1d").code == 0
    same()  # caught up by a git log of the new commits only
    edited = task_file(ws_root, 5)
    edited.write_text(edited.read_text(encoding="utf-8") + "# by hand\n", encoding="utf-8")
    os.utime(edited, (1_900_000_000, 1_900_000_000))
    (ws_root / "tasks" / "tnew0000.yaml").write_text("title: new\n", encoding="utf-8")
    same()
    git(ws_root, "checkout", "-q", "--", ".")
    git(ws_root, "reset", "-q", "--hard", "HEAD~2")  # history rewritten: read it all again
    same()


# --- files git does not track, known from their folders' stamps ---------------------------


def aged(root: Path) -> None:
    """Every record folder last changed a minute ago: its stamp is old enough to trust
    (a stamp younger than the racy window never is, and in a test every one would be)."""
    from tcrm.store import early

    moment = time.time() - 60
    for folder in early.folder_stamps(root):
        os.utime(root / folder, (moment, moment))


def meta(root: Path, key: str) -> Any:
    index = Workspace(root).index()
    assert index is not None
    (value,) = index.query("SELECT value FROM meta WHERE key = ?", (key,))[0]
    return json.loads(value)


@pytest.fixture
def complete_asks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each time the index asks git for the untracked files too (the slower walk)."""
    from tcrm.store import index as store_index

    asked: list[bool] = []
    real = store_index.git_view

    def spy(root: Path, lock_path: Path | None = None, untracked: bool = False) -> Any:
        if untracked:
            asked.append(True)
        return real(root, lock_path, untracked)

    monkeypatch.setattr(store_index, "git_view", spy)
    return asked


def test_untracked_files_are_found_by_their_folder_and_kept_fresh(
    ws_root: Path, complete_asks: list[bool]
) -> None:
    run("task", "list")  # the first index: git lists everything, untracked files included
    assert complete_asks == [True]
    aged(ws_root)
    run("task", "list")  # only tracked files asked of git; the folders' stamps recorded
    assert complete_asks == [True]
    assert -1 not in meta(ws_root, "folders").values()
    new = ws_root / "tasks" / "tbyhand2.yaml"
    new.write_text("title: Written by hand\ndue: 2026-11-23\n", encoding="utf-8")
    shown = json.loads(run("task", "show", "tbyhand2", "--json").out)
    assert shown["title"] == "Written by hand"
    assert "tasks/tbyhand2.yaml" in meta(ws_root, "untracked")
    # changed within the racy window: a file made in the same clock tick could hide
    # behind the same stamp, so it is not trusted (the folder is listed again next time)
    assert meta(ws_root, "folders")["tasks"] == -1
    aged(ws_root)
    run("task", "list")
    with open(new, "r+", encoding="utf-8") as f:  # in place: its folder does not change
        f.write("title: Edited in place\n")
        f.truncate()
    shown = json.loads(run("task", "show", "tbyhand2", "--json").out)
    assert shown["title"] == "Edited in place"
    assert_same(ws_root)
    new.unlink()
    ids = {t["id"] for t in json.loads(run("task", "list", "--all", "--json").out)}
    assert "tbyhand2" not in ids
    assert "tasks/tbyhand2.yaml" not in meta(ws_root, "untracked")
    assert complete_asks == [True]  # every change above was found without the walk
    assert_same(ws_root)


def test_ignored_and_new_folders_are_followed_and_a_new_head_asks_git_again(
    ws_root: Path, complete_asks: list[bool]
) -> None:
    (ws_root / ".gitignore").write_text(
        (ws_root / ".gitignore").read_text() + "tasks/tignored.yaml\n", encoding="utf-8"
    )
    commit_all(ws_root, "ignore one task")
    ignored = ws_root / "tasks" / "tignored.yaml"
    ignored.write_text("title: Ignored by git\n", encoding="utf-8")
    run("task", "list")
    aged(ws_root)
    run("task", "list")
    assert "tasks/tignored.yaml" in meta(ws_root, "untracked")
    with open(ignored, "r+", encoding="utf-8") as f:
        f.write("title: Edited in place\n")
        f.truncate()
    assert json.loads(run("task", "show", "tignored", "--json").out)["title"] == "Edited in place"
    year = ws_root / "activities" / "2031"
    year.mkdir()
    (year / "abyhand1.yaml").write_text(
        "kind: note\nat: 2031-01-02T10:00+01:00\nsummary: From the future\n", encoding="utf-8"
    )
    ids = {a["id"] for a in json.loads(run("activity", "list", "--json").out)}
    assert "abyhand1" in ids
    asked = len(complete_asks)
    commit_all(ws_root, "the note, committed by hand")  # a new HEAD: git lists it all again
    run("task", "list")
    assert len(complete_asks) == asked + 1
    assert "activities/2031/abyhand1.yaml" not in meta(ws_root, "untracked")
    assert "tasks/tignored.yaml" in meta(ws_root, "untracked")
    assert_same(ws_root)


def test_a_hand_made_file_tcrm_then_commits_is_no_longer_untracked(ws_root: Path) -> None:
    from tcrm.store import git as store_git

    run("task", "list")
    aged(ws_root)
    new = ws_root / "tasks" / "tbyhand3.yaml"
    new.write_text("title: Written by hand\ndue: 2026-11-23\n", encoding="utf-8")
    run("task", "list")
    assert "tasks/tbyhand3.yaml" in meta(ws_root, "untracked")
    assert run("task", "done", "tbyhand3").code == 1  # a hand edit: refused, named
    assert run("--commit-hand-edits", "task", "done", "tbyhand3").code == 0  # committed first
    assert "tasks/tbyhand3.yaml" not in meta(ws_root, "untracked")
    assert "tasks/tbyhand3.yaml" not in meta(ws_root, "dirty")
    index = Workspace(ws_root).index()
    assert index is not None
    paths = ["tasks/tbyhand3.yaml"]
    assert index.revisions(paths) == store_git.revisions(ws_root, paths)


def test_an_untracked_file_lost_from_the_meta_is_found_again_in_its_folder(
    ws_root: Path,
) -> None:
    """Two reads at once may each write what they saw; the one that started before a
    file was made by hand can write the untracked list without it. Its older folder
    stamps make the next read list that folder again, and git's index says the file
    is untracked: its in-place edits are followed again."""
    run("task", "list")
    aged(ws_root)
    run("task", "list")
    new = ws_root / "tasks" / "tbyhand4.yaml"
    new.write_text("title: Written by hand\n", encoding="utf-8")
    run("task", "list")
    assert "tasks/tbyhand4.yaml" in meta(ws_root, "untracked")
    index = Workspace(ws_root).index()
    assert index is not None
    stale = {**meta(ws_root, "folders"), "tasks": 1}  # what the older read saw
    index.conn.execute("UPDATE meta SET value = ? WHERE key = 'folders'", (json.dumps(stale),))
    index.conn.execute("UPDATE meta SET value = '[]' WHERE key = 'untracked'")
    index.conn.execute("UPDATE meta SET value = '[]' WHERE key = 'dirty'")
    run("task", "list")
    assert "tasks/tbyhand4.yaml" in meta(ws_root, "untracked")
    aged(ws_root)
    run("task", "list")
    with open(new, "r+", encoding="utf-8") as f:
        f.write("title: Edited in place\n")
        f.truncate()
    assert json.loads(run("task", "show", "tbyhand4", "--json").out)["title"] == "Edited in place"
    assert_same(ws_root)


def test_a_folder_stamp_is_trusted_by_when_it_was_read_not_when_it_is_stored() -> None:
    """A folder changed within the racy window before its time was read may hide a file
    made in the same clock tick; the git status and the write that follow take time,
    which must not make that stamp look old enough."""
    from tcrm.store.index import RACY_NS, _trusted

    taken = 1_800_000_000_000_000_000
    stamps = {"tasks": taken - RACY_NS // 2, "deals": taken - 2 * RACY_NS, "clients": 0}
    assert _trusted(stamps, taken) == {"tasks": -1, "deals": taken - 2 * RACY_NS, "clients": 0}
