"""The shared fixtures made the quick way hand each test what the slow way did: the
sample workspace copied by ``cp -a`` as ``shutil.copytree`` copies it."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tcrm.services.setup import init_workspace
from tests.clitools import SAMPLE, copy_workspace, git, run, snapshot
from tests.teamtools import assert_healthy

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
