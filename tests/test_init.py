"""``tcrm init``: a workspace, a git repository and exactly one commit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import tcrm
from tcrm.store.yamlio import load_fast
from tests.clitools import AUTHOR_EMAIL, AUTHOR_NAME, git, run_tcrm
from tests.clitools import run as cli


def files_under(root: Path) -> dict[str, bytes]:
    """Every file outside .git, with its bytes: to prove nothing changed."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def test_init_makes_a_clean_repository_with_one_commit(tmp_path) -> None:
    root = tmp_path / "crm"
    result = run_tcrm("init", str(root))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"Created tcrm workspace in {root}" in result.stderr

    log = git(root, "log", "--format=%s|%an|%ae").splitlines()
    assert log == [f"init: tcrm workspace|{AUTHOR_NAME}|{AUTHOR_EMAIL}"]
    git(root, "fsck", "--full", "--strict")
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "ls-files").split() == [".gitignore", "tcrm.yaml"]
    configured = subprocess.run(
        ["git", "config", "--get", "init.defaultBranch"], capture_output=True, text=True
    ).stdout.strip()
    assert git(root, "symbolic-ref", "--short", "HEAD").strip() == (configured or "main")

    # the local folder is ignored, and git says so itself
    assert ".tcrm/" in (root / ".gitignore").read_text(encoding="utf-8").splitlines()
    (root / ".tcrm").mkdir()
    (root / ".tcrm" / "lock").write_text("123")
    assert git(root, "check-ignore", ".tcrm/lock").strip() == ".tcrm/lock"
    assert git(root, "status", "--porcelain") == ""

    checked = run_tcrm("-w", str(root), "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout == ""


def test_init_refuses_an_existing_workspace_and_changes_nothing(workspace) -> None:
    root = workspace.root
    (root / "tcrm.yaml").write_text(
        (root / "tcrm.yaml").read_text(encoding="utf-8") + "# my edit\n", encoding="utf-8"
    )
    before = files_under(root)
    head = git(root, "rev-parse", "HEAD")
    status = git(root, "status", "--porcelain")

    result = cli("init", root, "--name", "Other Co")
    assert result.code != 0
    [line] = result.err.splitlines()
    assert line.startswith("tcrm: error: ")
    assert "already a tcrm workspace" in line
    assert files_under(root) == before
    assert git(root, "rev-parse", "HEAD") == head
    assert git(root, "status", "--porcelain") == status


@pytest.mark.parametrize("name", ["Acme Ltd", "Acme: The Company", "Société Générale"])
def test_init_name_lands_in_the_settings(tmp_path, name) -> None:
    root = tmp_path / "crm"
    result = cli("init", root, "--name", name)
    assert result.code == 0, result.err
    text = (root / "tcrm.yaml").read_text(encoding="utf-8")
    assert load_fast(text)["name"] == name
    assert text.startswith("# tcrm workspace settings.")  # the template's guidance is kept
    assert "My company" not in text
    assert git(root, "show", "HEAD:tcrm.yaml") == text


def test_init_creates_missing_parent_directories(tmp_path) -> None:
    root = tmp_path / "a" / "b" / "crm"
    assert cli("init", root).code == 0
    assert (root / "tcrm.yaml").is_file()
    assert load_fast((root / "tcrm.yaml").read_text(encoding="utf-8"))["name"] == "My company"


def test_init_into_a_file_is_refused(tmp_path) -> None:
    target = tmp_path / "file"
    target.write_text("not a directory")
    result = cli("init", target)
    assert result.code != 0
    assert "is not a directory" in result.err
    assert target.read_text() == "not a directory"


def test_version() -> None:
    result = run_tcrm("--version")
    assert result.returncode == 0
    assert result.stdout == f"tcrm {tcrm.__version__}\n"


def test_installed_console_script() -> None:
    script = Path(sys.executable).parent / "tcrm"
    if not script.exists():
        pytest.skip("the tcrm console script is not installed next to this Python")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout == f"tcrm {tcrm.__version__}\n"
