"""The store against a real disk and a real git repository, checked with the git CLI."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tcrm.errors import GitError, LockedError, TcrmError, ValidationError, WorkspaceError
from tcrm.model.records import Activity, Client, Task
from tcrm.model.types import check_id
from tcrm.store import yamlio
from tcrm.store.lock import WorkspaceLock
from tcrm.store.workspace import Workspace, discover
from tests.clitools import AUTHOR_EMAIL, AUTHOR_NAME, commit_count, git


def spawn(code: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args])


def wait_for(path: Path, proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, f"helper process ended early with {proc.returncode}"
        assert time.monotonic() < deadline, f"helper process never created {path}"
        time.sleep(0.005)


def hand_commit(root: Path, message: str = "edit by hand") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def assert_clean(root: Path) -> None:
    assert git(root, "status", "--porcelain") == ""
    git(root, "fsck", "--full", "--strict")  # raises when git finds a problem


# --- finding the workspace ----------------------------------------------------------------


def test_discover_from_an_explicit_path(workspace, tmp_path, monkeypatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert discover(workspace.root) == workspace.root
    assert discover(str(workspace.root)) == workspace.root


def test_explicit_path_wins_over_the_environment(workspace, tmp_path, monkeypatch) -> None:
    from tcrm.services.setup import init_workspace

    other = init_workspace(tmp_path / "other", name="Other")
    monkeypatch.setenv("TCRM_WORKSPACE", str(other.root))
    assert discover(workspace.root) == workspace.root
    assert discover() == other.root


def test_discover_from_the_environment(workspace, tmp_path, monkeypatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("TCRM_WORKSPACE", str(workspace.root))
    assert discover() == workspace.root
    assert Workspace.open().root == workspace.root


def test_discover_walks_up_from_a_nested_directory(workspace, monkeypatch) -> None:
    nested = workspace.root / "kb" / "deep" / "er"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    assert discover() == workspace.root
    assert discover(cwd=nested) == workspace.root


def test_no_workspace_is_a_clear_error(tmp_path, monkeypatch) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    with pytest.raises(WorkspaceError) as caught:
        discover()
    message = str(caught.value)
    assert str(empty.resolve()) in message
    assert "tcrm init" in message


@pytest.mark.parametrize("origin", ["-w", "TCRM_WORKSPACE"])
def test_a_named_directory_that_is_not_a_workspace_is_refused(
    tmp_path, monkeypatch, origin
) -> None:
    (tmp_path / "plain").mkdir()
    if origin == "-w":
        call = lambda: discover(tmp_path / "plain")  # noqa: E731
    else:
        monkeypatch.setenv("TCRM_WORKSPACE", str(tmp_path / "plain"))
        call = discover
    with pytest.raises(WorkspaceError, match=f"\\({origin}\\) is not a tcrm workspace"):
        call()


# --- one change, one commit -------------------------------------------------------------


def test_a_transaction_makes_exactly_one_commit(workspace) -> None:
    root = workspace.root
    before = git(root, "log", "--oneline").splitlines()
    assert len(before) == 1
    with workspace.transaction("client acme: create") as tx:
        tx.put(Client(id="acme", name="Acme Corp", status="lead"), create=True)
    after = git(root, "log", "--oneline").splitlines()
    assert len(after) == 2
    assert after[1:] == before
    assert git(root, "log", "-1", "--format=%s").strip() == "client acme: create"
    assert git(root, "rev-parse", "HEAD").strip() == tx.commit_id
    # git holds exactly the bytes on disk, and nothing else changed
    path = root / "clients" / "acme.yaml"
    assert git(root, "show", "HEAD:clients/acme.yaml") == path.read_text(encoding="utf-8")
    assert path.read_text(encoding="utf-8") == "name: Acme Corp\ntype: company\nstatus: lead\n"
    assert git(root, "show", "--name-only", "--format=", "HEAD").split() == ["clients/acme.yaml"]
    assert_clean(root)


def test_commits_carry_the_configured_identity(workspace) -> None:
    with workspace.transaction("client acme: create") as tx:
        tx.put(Client(id="acme", name="Acme"), create=True)
    who = git(workspace.root, "log", "-1", "--format=%an|%ae|%cn|%ce").strip()
    assert who == f"{AUTHOR_NAME}|{AUTHOR_EMAIL}|{AUTHOR_NAME}|{AUTHOR_EMAIL}"
    assert workspace.warnings == []


def test_several_files_land_in_one_commit(workspace) -> None:
    with workspace.transaction("import") as tx:
        tx.put(Client(id="acme", name="Acme"), create=True)
        tx.put(Client(id="globex", name="Globex"), create=True)
        tx.put(Activity(id="a2b3c4d5", kind="call", at="2026-03-04T10:00", summary="Hi"))
    assert commit_count(workspace.root) == 2
    files = git(workspace.root, "show", "--name-only", "--format=", "HEAD").split()
    assert files == ["activities/2026/a2b3c4d5.yaml", "clients/acme.yaml", "clients/globex.yaml"]
    assert workspace.find_path("activity", "a2b3c4d5") == (
        workspace.root / "activities" / "2026" / "a2b3c4d5.yaml"
    )
    assert_clean(workspace.root)


def test_writing_what_is_already_there_makes_no_commit(workspace) -> None:
    with workspace.transaction("client acme: create") as tx:
        tx.put(Client(id="acme", name="Acme"), create=True)
    head = git(workspace.root, "rev-parse", "HEAD")
    with workspace.transaction("client acme: edit") as tx:
        tx.put(workspace.get("client", "acme"))
    assert tx.commit_id is None
    assert git(workspace.root, "rev-parse", "HEAD") == head


def test_delete_removes_the_file_in_one_commit(workspace) -> None:
    with workspace.transaction("client acme: create") as tx:
        tx.put(Client(id="acme", name="Acme"), create=True)
    with workspace.transaction("client acme: delete") as tx:
        tx.delete("client", "acme")
    assert not (workspace.root / "clients" / "acme.yaml").exists()
    assert not workspace.exists("client", "acme")
    assert git(workspace.root, "show", "--name-status", "--format=", "HEAD").split() == [
        "D",
        "clients/acme.yaml",
    ]
    assert_clean(workspace.root)


# --- round trip: a person's file keeps what tcrm does not own -------------------------------

HAND_WRITTEN = """\
# Acme: our biggest client. Keep this comment.
name: Acme Corp
status: lead  # moved up after the demo
favourite_colour: blue
website: https://acme.example  # the new site
notes: |
  Met at the fair.
  Wants a proposal.
"""


def test_editing_one_field_changes_only_its_line(workspace) -> None:
    root = workspace.root
    path = root / "clients" / "acme.yaml"
    path.parent.mkdir()
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    hand_commit(root)

    client = workspace.get("client", "acme")
    assert client.model_extra == {"favourite_colour": "blue"}
    with workspace.transaction("client acme: status active") as tx:
        tx.put(client.model_copy(update={"status": "active"}))

    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Acme: our biggest client. Keep this comment.\n")
    assert "favourite_colour: blue\n" in text
    assert "website: https://acme.example  # the new site\n" in text
    assert "notes: |\n  Met at the fair.\n  Wants a proposal.\n" in text
    status_line = next(line for line in text.splitlines() if line.startswith("status:"))
    assert status_line.split("#")[0].strip() == "status: active"
    assert status_line.endswith("# moved up after the demo")

    diff = git(root, "diff", "HEAD~1", "HEAD", "-U0").splitlines()
    removed = [line for line in diff if line.startswith("-") and not line.startswith("---")]
    added = [line for line in diff if line.startswith("+") and not line.startswith("+++")]
    assert removed == ["-status: lead  # moved up after the demo"]
    assert added == [f"+{status_line}"]
    assert git(root, "show", "--stat", "--format=", "HEAD").splitlines()[-1].strip() == (
        "1 file changed, 1 insertion(+), 1 deletion(-)"
    )
    assert_clean(root)


def test_assignment_then_put_edits_in_place(workspace) -> None:
    root = workspace.root
    path = root / "clients" / "acme.yaml"
    path.parent.mkdir()
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    hand_commit(root)
    client = workspace.get("client", "acme")
    client.website = "https://acme.example/en"
    with workspace.transaction("client acme: website") as tx:
        tx.put(client)
    old, new = HAND_WRITTEN.splitlines(), path.read_text(encoding="utf-8").splitlines()
    changed = [n for n, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    assert changed == [old.index("website: https://acme.example  # the new site")]
    assert new[changed[0]].startswith("website: https://acme.example/en ")
    assert new[changed[0]].endswith("# the new site")


def test_commit_dates_follow_the_given_moment(workspace) -> None:
    when = datetime(2026, 3, 4, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    with workspace.transaction("client acme: create", when=when) as tx:
        tx.put(Client(id="acme", name="Acme"), create=True)
    dates = git(workspace.root, "log", "-1", "--format=%aI|%cI").strip()
    assert dates == "2026-03-04T09:30:00+01:00|2026-03-04T09:30:00+01:00"


# --- nothing half done --------------------------------------------------------------------


def test_creating_an_existing_id_is_refused_and_changes_nothing(workspace) -> None:
    with workspace.transaction("client acme: create") as tx:
        tx.put(Client(id="acme", name="Acme"), create=True)
    path = workspace.root / "clients" / "acme.yaml"
    before = path.read_bytes()
    head = git(workspace.root, "rev-parse", "HEAD")
    with pytest.raises(ValidationError, match="client 'acme' already exists"):  # noqa: SIM117
        with workspace.transaction("client acme: create") as tx:
            tx.put(Client(id="globex", name="Globex"), create=True)
            tx.put(Client(id="acme", name="Another Acme"), create=True)
    assert path.read_bytes() == before
    assert not (workspace.root / "clients" / "globex.yaml").exists()
    assert git(workspace.root, "rev-parse", "HEAD") == head
    assert_clean(workspace.root)


def test_creating_the_same_id_twice_in_one_transaction_is_refused(workspace) -> None:
    with pytest.raises(ValidationError, match="already exists"):  # noqa: SIM117
        with workspace.transaction("two") as tx:
            tx.put(Client(id="acme", name="Acme"), create=True)
            tx.put(Client(id="acme", name="Acme again"), create=True)
    assert not (workspace.root / "clients").exists()
    assert commit_count(workspace.root) == 1


def test_an_exception_in_the_block_writes_nothing(workspace) -> None:
    head = git(workspace.root, "rev-parse", "HEAD")
    with pytest.raises(RuntimeError, match="changed my mind"):  # noqa: SIM117
        with workspace.transaction("client acme: create") as tx:
            path = tx.put(Client(id="acme", name="Acme"), create=True)
            raise RuntimeError("changed my mind")
    assert not path.exists()
    assert git(workspace.root, "rev-parse", "HEAD") == head
    assert_clean(workspace.root)
    # and the lock was let go
    with WorkspaceLock(workspace.local_dir / "lock", timeout=0.1):
        pass


def make_hook(root: Path, name: str, body: str) -> None:
    hook = root / ".git" / "hooks" / name
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    hook.chmod(0o755)


def test_a_refused_commit_puts_every_file_back(workspace) -> None:
    root = workspace.root
    with workspace.transaction("client acme: create") as tx:
        tx.put(Client(id="acme", name="Acme", status="lead"), create=True)
    path = root / "clients" / "acme.yaml"
    before = path.read_bytes()
    head = git(root, "rev-parse", "HEAD")
    make_hook(root, "pre-commit", "exit 1")

    client = workspace.get("client", "acme")
    with pytest.raises(GitError, match="pre-commit") as caught:  # noqa: SIM117
        with workspace.transaction("client acme: status active") as tx:
            tx.put(client.model_copy(update={"status": "active"}))
            tx.put(Client(id="globex", name="Globex"), create=True)
    assert isinstance(caught.value, TcrmError)
    assert path.read_bytes() == before
    assert not (root / "clients" / "globex.yaml").exists()
    assert git(root, "rev-parse", "HEAD") == head
    # nothing is left staged in git's index either
    assert git(root, "diff", "--cached", "--name-only") == ""
    assert_clean(root)
    assert list((workspace.local_dir / "tmp").iterdir()) == []

    # once git accepts commits again, the same change goes through
    (root / ".git" / "hooks" / "pre-commit").unlink()
    with workspace.transaction("client acme: status active") as tx:
        tx.put(client.model_copy(update={"status": "active"}))
    assert commit_count(root) == 3
    assert_clean(root)


def test_a_transaction_outside_a_git_repository_is_refused(tmp_path) -> None:
    root = tmp_path / "nogit"
    root.mkdir()
    from tcrm.services.setup import default_settings

    (root / "tcrm.yaml").write_text(default_settings("X"), encoding="utf-8")
    ws = Workspace(root)
    with pytest.raises(GitError, match="not a git repository"):  # noqa: SIM117
        with ws.transaction("x") as tx:
            tx.put(Client(id="acme", name="Acme"))
    assert not (root / "clients").exists()


# --- the lock -----------------------------------------------------------------------------

HOLD_LOCK = """
import sys, time
from pathlib import Path
from tcrm.store.workspace import Workspace

root, ready, release = (Path(a) for a in sys.argv[1:4])
with Workspace(root).lock():
    ready.touch()
    deadline = time.monotonic() + 30
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
"""


def test_a_second_process_cannot_take_the_lock(workspace, tmp_path) -> None:
    ready, release = tmp_path / "ready", tmp_path / "release"
    holder = spawn(HOLD_LOCK, str(workspace.root), str(ready), str(release))
    try:
        wait_for(ready, holder)
        started = time.monotonic()
        with pytest.raises(LockedError) as caught:  # noqa: SIM117
            with WorkspaceLock(workspace.local_dir / "lock", timeout=0.2):
                pass
        assert time.monotonic() - started >= 0.2  # it waited before giving up
        assert f"pid {holder.pid}" in str(caught.value)
        release.touch()
        assert holder.wait(timeout=15) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    with WorkspaceLock(workspace.local_dir / "lock", timeout=0.2) as lock:
        assert lock.path.read_text() == str(os.getpid())


def test_the_lock_is_released_when_its_holder_is_killed(workspace, tmp_path) -> None:
    ready, release = tmp_path / "ready", tmp_path / "release"
    holder = spawn(HOLD_LOCK, str(workspace.root), str(ready), str(release))
    try:
        wait_for(ready, holder)
        with pytest.raises(LockedError):  # noqa: SIM117
            with WorkspaceLock(workspace.local_dir / "lock", timeout=0.05):
                pass
        holder.send_signal(signal.SIGKILL)
        assert holder.wait(timeout=15) == -signal.SIGKILL
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert not release.exists()  # it never let go by itself: the kernel did
    with WorkspaceLock(workspace.local_dir / "lock", timeout=1):
        pass


def test_the_lock_is_reentrant_within_one_holder(workspace) -> None:
    lock = workspace.lock()
    other = WorkspaceLock(workspace.local_dir / "lock", timeout=0.05)
    with lock:
        with lock:
            pass
        # leaving the inner block keeps the outer hold
        with pytest.raises(LockedError), other:
            pass
    with other:  # and leaving the outer one lets go
        pass


# --- killed while writing -----------------------------------------------------------------

REWRITE_FOREVER = """
import sys
from pathlib import Path
from tcrm.store.files import atomic_write

path, tmp, ready = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
versions = [Path(p).read_bytes() for p in sys.argv[4:6]]
i = 0
while True:
    i += 1
    atomic_write(path, versions[i % 2], tmp)
    if i == 2:
        ready.touch()
"""


def test_a_writer_killed_at_any_moment_leaves_a_whole_file(workspace, tmp_path) -> None:
    folder = workspace.root / "clients"
    path = folder / "acme.yaml"
    tmp_dir = workspace.local_dir / "tmp"
    versions = [
        yamlio.dump_fast(Client(name="Acme", notes=c * 200_000).to_data()).encode() for c in "ab"
    ]
    sources = []
    for n, data in enumerate(versions):
        source = tmp_path / f"version{n}.yaml"
        source.write_bytes(data)
        sources.append(str(source))
    folder.mkdir()
    path.write_bytes(versions[0])

    notes = ("a" * 200_000, "b" * 200_000)
    rng = random.Random(1234)
    seen = set()
    for n in range(20):
        ready = tmp_path / f"ready{n}"
        writer = spawn(REWRITE_FOREVER, str(path), str(tmp_dir), str(ready), *sources)
        try:
            wait_for(ready, writer)
            deadline = time.monotonic() + rng.uniform(0, 0.03)
            while time.monotonic() < deadline:  # readers meanwhile see whole files only
                assert path.read_bytes() in versions
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait()
        data = path.read_bytes()
        assert len(data) in (len(versions[0]), len(versions[1])), "truncated file"
        assert data in versions
        assert yamlio.load_fast(data, "clients/acme.yaml")["notes"] in notes
        seen.add(data)
        assert [p.name for p in folder.iterdir()] == ["acme.yaml"]  # no stray temp file
    assert len(seen) == 2  # the writer really was switching between the two versions
    assert [record_id for record_id, _ in workspace.files("client")] == ["acme"]
    assert workspace.get("client", "acme").notes in notes


def test_atomic_write_keeps_temp_files_out_of_the_record_folder(workspace) -> None:
    from tcrm.store.files import atomic_write

    tmp_dir = workspace.local_dir / "tmp"
    path = workspace.root / "clients" / "acme.yaml"
    atomic_write(path, b"name: Acme\n", tmp_dir)
    assert path.read_bytes() == b"name: Acme\n"
    assert [p.name for p in path.parent.iterdir()] == ["acme.yaml"]
    assert list(tmp_dir.iterdir()) == []
    assert git(workspace.root, "check-ignore", ".tcrm/tmp/x").strip() == ".tcrm/tmp/x"


# --- ids ----------------------------------------------------------------------------------


def test_new_slug_ids_count_up_when_taken(workspace) -> None:
    assert workspace.new_id("client", "Acme Corp") == "acme-corp"
    for expected in ("acme-corp", "acme-corp-2", "acme-corp-3"):
        with workspace.transaction(f"client {expected}: create") as tx:
            new_id = workspace.new_id("client", "Acme Corp")
            tx.put(Client(id=new_id, name="Acme Corp"), create=True)
        assert workspace.exists("client", expected)
    assert workspace.new_id("client", "Acme Corp") == "acme-corp-4"
    assert workspace.new_id("client", "Globex", taken={"globex", "globex-2"}) == "globex-3"
    assert workspace.new_id("deal", "Acme Corp") == "acme-corp"  # per kind


def test_random_ids_are_short_safe_and_distinct(workspace) -> None:
    task_ids = {workspace.new_id("task", "Call Acme") for _ in range(300)}
    assert len(task_ids) == 300
    for task_id in task_ids:
        assert len(task_id) == 8
        assert task_id.startswith("t")
        assert check_id(task_id) == task_id
        assert not set(task_id[1:]) & set("01ilo")  # nothing to misread
    activity_id = workspace.new_id("activity")
    assert activity_id.startswith("a") and len(activity_id) == 8
    # a name with nothing to slug falls back to a random id
    client_id = workspace.new_id("client", "東京")
    assert client_id.startswith("c") and len(client_id) == 8
    check_id(client_id)


def test_random_ids_avoid_taken_ones(workspace, monkeypatch) -> None:
    import tcrm.store.workspace as workspace_module

    with workspace.transaction("task t2222222: create") as tx:
        tx.put(Task(id="t2222222", title="first"), create=True)
    draws = iter("2222222" + "3333333")  # the first draw is taken, the second is free
    monkeypatch.setattr(workspace_module.secrets, "choice", lambda alphabet: next(draws))
    assert workspace.new_id("task") == "t3333333"
    assert next(draws, None) is None


def test_lookups_refuse_unsafe_ids(workspace) -> None:
    for bad in ("../tcrm", "..", ".git", "a/b"):
        assert workspace.exists("client", bad) is False
        with pytest.raises(ValueError):
            workspace.find_path("client", bad)
