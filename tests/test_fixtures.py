"""The shared fixtures made the quick way hand each test what the slow way did: the
sample workspace copied by ``cp -a`` as ``shutil.copytree`` copies it, and a team copied
from a session template as ``build_team`` builds one in the test's own folder."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tcrm.model.records import Client
from tcrm.services.setup import init_workspace
from tests.clitools import SAMPLE, copy_workspace, git, run, snapshot
from tests.teamtools import TEAM, assert_healthy, build_team, put, sync

Entry = tuple[int, int, int, bytes | None]


def tree(root: Path) -> dict[str, Entry]:
    """Every entry under ``root`` and ``root`` itself (links not followed): its kind, mode,
    modification time (ns) and bytes (a link: its target)."""
    out: dict[str, Entry] = {}
    for path in [root, *sorted(root.rglob("*"))]:
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            data: bytes | None = os.readlink(path).encode()
        elif stat.S_ISREG(st.st_mode):
            data = path.read_bytes()
        else:
            data = None
        kind, mode = stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode)
        out[path.relative_to(root).as_posix()] = (kind, mode, st.st_mtime_ns, data)
    return out


def objects(root: Path) -> list[str]:
    """Every object git holds (id and type), packed or loose."""
    out = git(root, "cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)")
    return sorted(out.splitlines())


def loose(root: Path) -> list[Path]:
    return [p for p in (root / ".git" / "objects").glob("??/*") if p.is_file()]


def test_sample_ws_is_the_template_as_copytree_copies_it(
    sample_ws: Path, _sample_template: Path, tmp_path: Path
) -> None:
    slow = tmp_path / "slow"
    shutil.copytree(_sample_template, slow, symlinks=True)
    assert tree(sample_ws) == tree(slow)
    assert git(sample_ws, "rev-parse", "HEAD") == git(_sample_template, "rev-parse", "HEAD")
    assert git(sample_ws, "status", "--porcelain") == ""
    fsck = subprocess.run(
        ["git", "-C", str(sample_ws), "fsck", "--full", "--strict"], capture_output=True
    )
    assert fsck.returncode == 0, fsck.stderr


def test_the_packed_template_holds_what_init_made_and_takes_commits_as_usual(
    sample_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same objects as a workspace just made by ``tcrm init --from`` (but its commit,
    whose time is the clock's), in a pack; tcrm's commits are loose objects on top."""
    made = init_workspace(tmp_path / "made", template=SAMPLE).root
    assert loose(made) and not loose(sample_ws)
    assert git(sample_ws, "rev-parse", "HEAD^{tree}") == git(made, "rev-parse", "HEAD^{tree}")
    assert git(sample_ws, "log", "--format=%an %ae %s") == git(made, "log", "--format=%an %ae %s")
    ours = [o for o in objects(sample_ws) if not o.endswith(" commit")]
    assert ours == [o for o in objects(made) if not o.endswith(" commit")]
    assert len(ours) > 200
    assert snapshot(sample_ws) == snapshot(made)
    assert (
        run("client", "edit", "acme-logistics", "--set", "website=https://freight.example").code
        == 0
    )
    assert loose(sample_ws)  # the new blob, trees and commit
    assert git(sample_ws, "status", "--porcelain") == ""
    assert "freight.example" in git(sample_ws, "show", "HEAD:clients/acme-logistics.yaml")
    assert run("client", "show", "acme-logistics").code == 0  # dulwich reads pack and loose
    assert_healthy(sample_ws)


def test_copy_workspace_keeps_links_and_modes_and_refuses_an_existing_target(
    tmp_path: Path,
) -> None:
    source = tmp_path / "source"
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "file.yaml").write_text("id: x\n")
    (source / "run.sh").write_text("#!/bin/sh\n")
    (source / "run.sh").chmod(0o750)
    (source / "link").symlink_to("sub/file.yaml")
    (source / "outside").symlink_to("/etc")
    (source / "dangling").symlink_to("nowhere")
    os.utime(source / "sub", ns=(1, 1_000_000_123))
    slow = tmp_path / "slow"
    shutil.copytree(source, slow, symlinks=True)
    quick = copy_workspace(source, tmp_path / "quick")
    assert tree(quick) == tree(slow)
    assert tree(quick)["sub"][2] == 1_000_000_123
    assert (quick / "outside").is_symlink()
    with pytest.raises(FileExistsError):
        copy_workspace(source, quick)
    assert tree(quick) == tree(slow)  # nothing copied into it


def test_snapshot_is_the_files_outside_git_and_tcrm_links_followed(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "kb" / ".git").mkdir(parents=True)
    (root / ".tcrm").mkdir()
    (root / "kb" / "page.md").write_text("page")
    (root / "kb" / ".git" / "HEAD").write_text("nested repo")
    (root / ".tcrm" / "index.sqlite").write_text("index")
    (root / "deep" / ".tcrm").mkdir(parents=True)
    (root / "deep" / ".tcrm" / "x").write_text("x")
    (root / "deep" / "y").write_text("y")
    (root / "kb" / "linked.md").symlink_to("page.md")
    (root / "kb" / "folder").symlink_to(root / "deep")
    (root / "kb" / "dangling").symlink_to("nowhere")
    (tmp_path / "secret").write_text("outside")
    (root / "kb" / "escape").symlink_to(tmp_path / "secret")
    assert snapshot(root) == {
        "deep/y": b"y",
        "kb/escape": b"outside",
        "kb/linked.md": b"page",
        "kb/page.md": b"page",
    }
    assert list(snapshot(root)) == sorted(snapshot(root))


def _git_files(root: Path) -> dict[str, bytes]:
    """A clone's git files that hold no time or stat data: config, refs (object ids left
    out), HEAD, info, hooks; not objects, reflogs or git's index."""
    git_dir = root if root.suffix == ".git" else root / ".git"
    return {
        p.relative_to(git_dir).as_posix(): re.sub(rb"[0-9a-f]{40}", b"(id)", p.read_bytes())
        for p in sorted(git_dir.rglob("*"))
        if p.is_file() and p.relative_to(git_dir).parts[0] not in ("objects", "logs", "index")
    }


def _history(root: Path) -> str:
    """Each commit's tree, author, committer and message: all but times (and so ids)."""
    return git(root, "log", "--all", "--format=%T %an <%ae> %cn <%ce> %s")


def _names(root: Path) -> list[str]:
    """Every path under ``root``, with object ids left out (commits differ in their time)."""
    names = (p.relative_to(root).as_posix() for p in root.rglob("*"))
    names = (n for n in names if not re.search(r"objects/[0-9a-f]{2}$", n))  # fan-out
    return sorted(
        re.sub(r"objects/[0-9a-f]{2}/[0-9a-f]{38}$|[0-9a-f]{40}", "(id)", n) for n in names
    )


def test_team_copy_is_the_team_built_in_the_test(
    team: dict[str, Path], tmp_path: Path, as_user: Any
) -> None:
    fresh = build_team(tmp_path / "fresh", as_user)
    assert list(fresh) == list(team)
    assert team == {k: tmp_path / v.relative_to(tmp_path / "fresh") for k, v in fresh.items()}
    for name in TEAM:
        copy, built = tmp_path / name, tmp_path / "fresh" / name
        assert _names(copy) == _names(built), name  # .git and .tcrm included
        if name != "remote.git":
            assert snapshot(copy) == snapshot(built), name
        here = {
            k: v.replace(bytes(tmp_path / "fresh"), bytes(tmp_path))
            for k, v in _git_files(built).items()
        }
        assert _git_files(copy) == here, name
        assert _history(copy) == _history(built), name
        assert git(copy, "for-each-ref", "--format=%(refname)") == git(
            built, "for-each-ref", "--format=%(refname)"
        )
    for user in ("ann", "ben", "chloe"):
        assert git(team[user], "remote", "get-url", "origin").strip() == str(team["remote"])
        assert_healthy(team[user])
    fsck = subprocess.run(["git", "-C", str(team["remote"]), "fsck", "--strict"])
    assert fsck.returncode == 0


def test_team_copies_share_no_remote_with_their_template(
    team: dict[str, Path], _team_templates: dict[Any, Path], as_user: Any
) -> None:
    templates = list(_team_templates.values())
    before = [git(t / "remote.git", "for-each-ref") for t in templates]
    for path in team["ann"].parent.rglob("*"):
        if path.is_file() and "logs" not in path.parts:  # reflogs name where clones came from
            assert not any(bytes(t) in path.read_bytes() for t in templates), path
    as_user("ben")
    put(team["ben"], "client gamma: add", Client(id="gamma", name="Gamma"), create=True)
    assert sync(team["ben"])["action"] == "pushed"
    head = git(team["ben"], "rev-parse", "HEAD")
    assert git(team["remote"], "rev-parse", "main") == head
    as_user("chloe")
    sync(team["chloe"])
    assert (team["chloe"] / "clients" / "gamma.yaml").is_file()
    assert [git(t / "remote.git", "for-each-ref") for t in templates] == before
