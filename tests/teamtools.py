"""Helpers for tests with several people and clones: identities, edits, health checks."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tcrm.model.records import Client, Deal, Record
from tcrm.services.setup import init_workspace
from tcrm.store.workspace import Workspace
from tcrm.store.yamlio import load_fast
from tests.clitools import git, run, snapshot, status_clean

USERS = {
    "ann": ("Ann Becker", "ann@example.com"),
    "ben": ("Ben Okafor", "ben@example.com"),
    "chloe": ("Chloe Martin", "chloe@example.com"),
}


@pytest.fixture
def as_user(monkeypatch: pytest.MonkeyPatch):
    """Switch the git identity (for dulwich commits and the git CLI alike)."""

    def switch(user: str) -> None:
        name, email = USERS[user]
        for role in ("AUTHOR", "COMMITTER"):
            monkeypatch.setenv(f"GIT_{role}_NAME", name)
            monkeypatch.setenv(f"GIT_{role}_EMAIL", email)

    return switch


def put(
    root: Path, message: str, *records: Record, create: bool = False, when: datetime | None = None
) -> None:
    ws = Workspace(root)
    with ws.transaction(message, when) as tx:
        for record in records:
            tx.put(record, create=create)


def edit(
    root: Path,
    kind: str,
    record_id: str,
    message: str,
    when: datetime | None = None,
    **changes: Any,
) -> None:
    record = Workspace(root).get(kind, record_id)
    data = {**record.model_dump(), **changes, "id": record.id}
    put(root, message, type(record).model_validate(data), when=when)


def record(root: Path, path: str) -> dict[str, Any]:
    return load_fast((root / path).read_text(encoding="utf-8"))


def records_of(root: Path) -> dict[str, bytes]:
    return {p: data for p, data in snapshot(root).items() if p.endswith(".yaml")}


def assert_healthy(root: Path) -> None:
    """git fsck is clean, nothing is left uncommitted, and no file holds conflict markers."""
    fsck = subprocess.run(
        ["git", "-C", str(root), "fsck", "--full", "--strict"], capture_output=True, text=True
    )
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    assert "error" not in fsck.stderr.lower(), fsck.stderr
    assert status_clean(root), git(root, "status", "--porcelain")
    for path, data in snapshot(root).items():
        for marker in (b"<<<<<<<", b">>>>>>>", b"\n=======\n"):
            assert marker not in data, f"{path} has a conflict marker"


def sync(root: Path, *args: str) -> dict[str, Any]:
    """``tcrm sync --json``: exit 0, or 3 exactly while conflicts are open."""
    result = run("-w", root, "sync", "--json", *args)
    assert result.code in (0, 3), result.err
    report = json.loads(result.out)
    assert (result.code == 3) == bool(report["open_conflicts"] or report["conflicts"]), report
    return report


@pytest.fixture
def team(tmp_path: Path, as_user) -> dict[str, Path]:
    """A bare remote and three clones (ann made the workspace; ben and chloe cloned it)."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--bare", "-q", str(remote)], check=True)
    as_user("ann")
    ann = init_workspace(tmp_path / "ann", name="Team Co").root
    put(
        ann,
        "seed: two clients, two deals",
        Client(id="acme", name="Acme", tags=["smb"]),
        Client(id="beta", name="Beta", status="lead"),
        Deal(
            id="acme-website",
            title="Acme website",
            client="acme",
            pipeline="sales",
            stage="lead",
            stage_history=[{"at": "2026-11-02T10:00+01:00", "stage": "lead"}],
        ),
        Deal(id="beta-app", title="Beta app", client="beta", pipeline="sales", stage="lead"),
        create=True,
    )
    assert run("-w", ann, "remote", "add", "origin", remote).code == 0
    assert sync(ann)["action"] == "pushed"
    clones = {"ann": ann, "remote": remote}
    for user in ("ben", "chloe"):
        result = run("clone", remote, tmp_path / user)
        assert result.code == 0, result.err
        clones[user] = tmp_path / user
    return clones
