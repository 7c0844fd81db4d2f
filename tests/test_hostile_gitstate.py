"""Issue 16, item 7: tcrm respects the state git is in.

Each state is made with the real git CLI. During a merge, rebase, cherry-pick or revert
a write is refused with one line saying how to finish or abort it; on a detached HEAD it
is refused unless allowed; a hand edit is never folded into a tcrm commit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clitools import assert_refused, commit_count, git, run, snapshot, status_clean

DEAL = "van-der-berg-portfolio-website"
DEAL_FILE = f"deals/{DEAL}.yaml"


def _commit_edit(root: Path, rel: str, line: str, message: str) -> None:
    path = root / rel
    path.write_text(path.read_text(encoding="utf-8") + line, encoding="utf-8")
    git(root, "commit", "-q", "-am", message)


def _diverge(root: Path) -> None:
    """A branch ``other`` and ``main`` that both append to the same kb page: a plain
    text file, so git itself stops on the conflict."""
    git(root, "checkout", "-q", "-b", "other")
    _commit_edit(root, "kb/objection-handling.md", "\ntheirs\n", "theirs")
    git(root, "checkout", "-q", "main")
    _commit_edit(root, "kb/objection-handling.md", "\nours\n", "ours")


def _git_may_fail(root: Path, *args: str) -> None:
    import subprocess

    subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)


def _refused_with(root: Path, hint: str) -> None:
    before, commits = snapshot(root), commit_count(root)
    result = run("task", "add", "Call back", "--due", "+2d")
    assert_refused(root, result, before, commits)
    assert hint in result.err, result.err
    result = run("deal", "move", DEAL, "proposal")
    assert_refused(root, result, before, commits)
    assert hint in result.err, result.err


def test_a_merge_with_conflicts_in_progress_is_refused(sample_ws: Path) -> None:
    _diverge(sample_ws)
    _git_may_fail(sample_ws, "merge", "-q", "other")
    assert (sample_ws / ".git" / "MERGE_HEAD").exists()
    _refused_with(sample_ws, "git merge --abort")


def test_a_clean_merge_left_open_is_refused_and_not_finished_by_tcrm(sample_ws: Path) -> None:
    git(sample_ws, "checkout", "-q", "-b", "other")
    _commit_edit(sample_ws, "kb/objection-handling.md", "\ntheirs\n", "theirs")
    git(sample_ws, "checkout", "-q", "main")
    _commit_edit(sample_ws, "kb/discovery-call-script.md", "\nours\n", "ours")
    git(sample_ws, "merge", "-q", "--no-commit", "--no-ff", "other")
    staged = git(sample_ws, "diff", "--cached", "--name-only")
    _refused_with(sample_ws, "git merge --abort")
    assert (sample_ws / ".git" / "MERGE_HEAD").exists()
    assert git(sample_ws, "diff", "--cached", "--name-only") == staged


def test_a_rebase_in_progress_is_refused(sample_ws: Path) -> None:
    _diverge(sample_ws)
    git(sample_ws, "checkout", "-q", "other")
    _git_may_fail(sample_ws, "rebase", "main")
    assert (sample_ws / ".git" / "rebase-merge").exists()
    _refused_with(sample_ws, "git rebase --abort")


def test_a_cherry_pick_in_progress_is_refused(sample_ws: Path) -> None:
    _diverge(sample_ws)
    _git_may_fail(sample_ws, "cherry-pick", "other")
    assert (sample_ws / ".git" / "CHERRY_PICK_HEAD").exists()
    _refused_with(sample_ws, "git cherry-pick --abort")


def test_a_revert_in_progress_is_refused(sample_ws: Path) -> None:
    _commit_edit(sample_ws, "kb/objection-handling.md", "\none\n", "one")
    _commit_edit(sample_ws, "kb/objection-handling.md", "two\n", "two")
    _git_may_fail(sample_ws, "revert", "--no-edit", "HEAD~1")
    assert (sample_ws / ".git" / "REVERT_HEAD").exists()
    _refused_with(sample_ws, "git revert --abort")


def test_a_detached_head_is_refused_unless_allowed(
    sample_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(sample_ws, "checkout", "-q", "--detach")
    head = git(sample_ws, "rev-parse", "HEAD").strip()
    _refused_with(sample_ws, "--allow-detached")

    result = run("--allow-detached", "deal", "move", DEAL, "proposal")
    assert result.code == 0, result.err
    assert "detached" in result.err  # still warned
    assert git(sample_ws, "rev-parse", "HEAD~1").strip() == head
    assert (sample_ws / ".git" / "HEAD").read_text().strip() == git(
        sample_ws, "rev-parse", "HEAD"
    ).strip()  # still detached
    assert git(sample_ws, "rev-parse", "main").strip() == head  # no branch moved
    assert status_clean(sample_ws)

    monkeypatch.setenv("TCRM_ALLOW_DETACHED", "1")
    result = run("task", "add", "Call back", "--due", "+2d")
    assert result.code == 0, result.err
    assert git(sample_ws, "rev-parse", "HEAD~2").strip() == head


def _hand_edit(root: Path, rel: str, line: str = "# a note by hand\n") -> bytes:
    path = root / rel
    path.write_text(path.read_text(encoding="utf-8") + line, encoding="utf-8")
    return path.read_bytes()


def test_a_hand_edit_in_the_file_tcrm_changes_is_refused_naming_it(sample_ws: Path) -> None:
    _hand_edit(sample_ws, DEAL_FILE)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("deal", "move", DEAL, "proposal")
    assert_refused(sample_ws, result, before, commits)
    assert DEAL_FILE in result.err
    assert "--commit-hand-edits" in result.err
    assert git(sample_ws, "status", "--porcelain").split() == ["M", DEAL_FILE]


def test_a_staged_hand_edit_in_the_file_is_refused_too(sample_ws: Path) -> None:
    _hand_edit(sample_ws, DEAL_FILE)
    git(sample_ws, "add", DEAL_FILE)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("deal", "move", DEAL, "proposal")
    assert_refused(sample_ws, result, before, commits)
    assert DEAL_FILE in result.err


def test_commit_hand_edits_commits_the_hand_edit_first_on_its_own(sample_ws: Path) -> None:
    _hand_edit(sample_ws, DEAL_FILE)
    commits = commit_count(sample_ws)
    result = run("--commit-hand-edits", "deal", "move", DEAL, "proposal")
    assert result.code == 0, result.err
    assert commit_count(sample_ws) == commits + 2
    assert status_clean(sample_ws)
    hand = git(sample_ws, "show", "HEAD~1", "--format=%s", "--name-only").split("\n")
    assert hand[0].startswith("hand edit: "), hand
    assert DEAL_FILE in hand
    assert "+# a note by hand" in git(sample_ws, "show", "HEAD~1")
    ours = git(sample_ws, "show", "HEAD")
    assert "+# a note by hand" not in ours  # not folded into tcrm's commit
    assert ours.count("\n+stage: proposal") == 1
    assert "# a note by hand" in (sample_ws / DEAL_FILE).read_text(encoding="utf-8")


def test_hand_edits_to_other_files_stay_uncommitted_and_untouched(sample_ws: Path) -> None:
    unstaged = _hand_edit(sample_ws, "clients/cafe-lumiere.yaml")
    staged = _hand_edit(sample_ws, "kb/objection-handling.md", "staged by hand\n")
    git(sample_ws, "add", "kb/objection-handling.md")
    (sample_ws / "notes.txt").write_text("untracked\n", encoding="utf-8")

    for args in (("deal", "move", DEAL, "proposal"), ("task", "add", "Call", "--due", "+1d")):
        result = run(*args)
        assert result.code == 0, result.err
        changed = git(sample_ws, "show", "HEAD", "--format=", "--name-only").split()
        assert "clients/cafe-lumiere.yaml" not in changed
        assert "kb/objection-handling.md" not in changed
    assert (sample_ws / "clients/cafe-lumiere.yaml").read_bytes() == unstaged
    assert (sample_ws / "kb/objection-handling.md").read_bytes() == staged
    status = sorted(git(sample_ws, "status", "--porcelain").splitlines())
    assert status == [
        " M clients/cafe-lumiere.yaml",
        "?? notes.txt",
        "M  kb/objection-handling.md",
    ]


def test_sync_refuses_during_a_merge_in_progress(sample_ws: Path, tmp_path: Path) -> None:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    assert run("remote", "add", "origin", str(bare)).code == 0
    _diverge(sample_ws)
    _git_may_fail(sample_ws, "merge", "-q", "other")
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("sync")
    assert_refused(sample_ws, result, before, commits)
    assert "git merge --abort" in result.err


def test_staged_edits_stay_out_of_a_commit_made_by_dulwich_s_general_path(
    sample_ws: Path,
) -> None:
    """An intent-to-add entry (``git add -N``) sends the commit down dulwich's general
    path, which commits the whole index: only tcrm's files may land in its commit."""
    staged = _hand_edit(sample_ws, "kb/objection-handling.md", "staged by hand\n")
    git(sample_ws, "add", "kb/objection-handling.md")
    (sample_ws / "draft.md").write_text("a draft\n", encoding="utf-8")
    git(sample_ws, "add", "-N", "draft.md")
    result = run("deal", "move", DEAL, "proposal")
    assert result.code == 0, result.err
    changed = git(sample_ws, "show", "HEAD", "--format=", "--name-only").split()
    assert DEAL_FILE in changed
    assert "kb/objection-handling.md" not in changed and "draft.md" not in changed
    assert (sample_ws / "kb/objection-handling.md").read_bytes() == staged
    status = sorted(git(sample_ws, "status", "--porcelain").splitlines())
    assert status == [" A draft.md", "M  kb/objection-handling.md"]
