"""Fast commits (issue 9): the index patched in place and only the touched trees rewritten
must give exactly what git gives, checked with the real git CLI.

Each check (``assert_like_git``) asks git itself: ``fsck --strict``, a clean ``status``, an
index equal to HEAD (``diff-index --cached``, ``ls-files -s`` against ``ls-tree -r``), fresh
stat data (``diff-files`` does not refresh, so a stale entry shows), and the commit's tree
equal to what ``git add -A && git write-tree`` makes of the same files in a copy.
"""

from __future__ import annotations

import hashlib
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tcrm.devtools.generate import write_generated_workspace
from tcrm.errors import GitError
from tcrm.store import git as gitstore
from tcrm.store.git import committing as git_commits
from tests.clitools import copy_workspace, git

pytestmark = pytest.mark.slow  # Hypothesis explores many generated cases

WHEN = datetime(2026, 11, 23, 9, 30, tzinfo=timezone(timedelta(hours=1)))


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture
def fast_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if a commit takes dulwich's general path: the fast path must handle it."""

    def general(*args: object, **kwargs: object) -> str:
        raise AssertionError("the general (dulwich) commit path was used")

    monkeypatch.setattr(git_commits, "_dulwich_commit", general)


@pytest.fixture
def general_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The paths of each commit that went through dulwich's general path."""
    calls: list[list[str]] = []
    original = git_commits._dulwich_commit

    def counted(repo, rel_paths, *args):  # type: ignore[no-untyped-def]
        calls.append(list(rel_paths))
        return original(repo, rel_paths, *args)

    monkeypatch.setattr(git_commits, "_dulwich_commit", counted)
    return calls


def make_repo(root: Path, files: dict[str, str]) -> Path:
    """A repository committed by the git CLI (so its index has a cache-tree extension)."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    write(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def write(root: Path, files: dict[str, str | None]) -> list[str]:
    """Create, change (text) or delete (None) files; the paths, for ``git.commit``."""
    for rel, text in files.items():
        path = root / rel
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8"))
    return list(files)


def commit(root: Path, files: dict[str, str | None], message: str = "change") -> str:
    return gitstore.commit(root, write(root, files), message, WHEN)


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def tree_by_git(root: Path) -> str:
    """The tree the git CLI makes of the working files, in a copy (``root`` is untouched)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy"
        copy_workspace(root, copy)
        git(copy, "add", "-A")
        return git(copy, "write-tree").strip()


def assert_like_git(root: Path) -> None:
    git(root, "fsck", "--strict", "--no-dangling")
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "diff-index", "--cached", "HEAD") == ""
    assert git(root, "diff-files", "--name-only") == ""  # stat data as git would write it
    staged = sorted(
        (line.split()[0], line.split()[1], line.split("\t", 1)[1])
        for line in git(root, "ls-files", "-s").splitlines()
    )
    committed = sorted(
        (line.split()[0], line.split()[2], line.split("\t", 1)[1])
        for line in git(root, "ls-tree", "-r", "HEAD").splitlines()
    )
    assert staged == committed
    assert git(root, "rev-parse", "HEAD^{tree}").strip() == tree_by_git(root)


def index_extensions(root: Path) -> bytes:
    """The raw index, to look for extension signatures in it."""
    return (root / ".git" / "index").read_bytes()


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    write_generated_workspace(root, clients=20, deals=30, tasks=60, activities=40, seed=3)
    return root


# --- a generated workspace: every kind of change -------------------------------------------


def test_a_generated_workspace_has_real_stat_data_in_its_index(generated: Path) -> None:
    # `git diff-files` does not refresh: an index without real stat data lists every file
    assert git(generated, "diff-files", "--name-only") == ""
    assert_like_git(generated)


def test_add_modify_delete_commit_like_git(generated: Path, fast_only: None) -> None:
    root = generated
    before = head(root)
    sha = commit(root, {"tasks/tfast001.yaml": "id: tfast001\ntitle: call\n"}, "task add")
    assert sha == head(root)
    assert git(root, "rev-parse", "HEAD^").strip() == before
    assert git(root, "show", "--name-status", "--format=", "HEAD").split() == [
        "A",
        "tasks/tfast001.yaml",
    ]
    assert_like_git(root)

    task = sorted((root / "tasks").iterdir())[0].relative_to(root).as_posix()
    commit(root, {task: (root / task).read_text() + "# edited\n"})
    assert git(root, "show", "--name-status", "--format=", "HEAD").split() == ["M", task]
    assert_like_git(root)

    client = sorted((root / "clients").iterdir())[3].relative_to(root).as_posix()
    commit(root, {client: None})
    assert git(root, "show", "--name-status", "--format=", "HEAD").split() == ["D", client]
    assert_like_git(root)


def test_an_activity_moving_to_a_new_year_folder_and_the_folder_going_away(
    generated: Path, fast_only: None
) -> None:
    root = generated
    old = sorted((root / "activities").glob("*/*.yaml"))[0]
    rel_old = old.relative_to(root).as_posix()
    rel_new = f"activities/2027/{old.name}"
    commit(root, {rel_new: old.read_text(), rel_old: None}, "activity: moves to 2027")
    assert "\tactivities/2027\n" in git(root, "ls-tree", "-d", "HEAD", "activities/")
    assert_like_git(root)

    commit(root, {rel_new: None}, "activity: deleted")  # the last file of activities/2027
    assert "2027" not in git(root, "ls-tree", "-d", "HEAD", "activities/")
    assert_like_git(root)


def test_new_nested_folders_and_a_non_ascii_name(generated: Path, fast_only: None) -> None:
    root = generated
    commit(
        root,
        {
            "kb/sales/café-ünïcode.md": "# Café\n",
            "kb/sales/deep/er/note.md": "deep\n",
            "kb/日本.md": "にほん\n",
        },
    )
    names = git(root, "ls-tree", "-r", "--name-only", "-z", "HEAD").split("\0")
    assert {"kb/sales/café-ünïcode.md", "kb/sales/deep/er/note.md", "kb/日本.md"} <= set(names)
    assert_like_git(root)
    commit(root, {"kb/sales/deep/er/note.md": None})  # two folders go at once
    assert "kb/sales/deep" not in git(root, "ls-tree", "-r", "-d", "--name-only", "HEAD")
    assert_like_git(root)


def test_a_batch_of_2000_files_goes_into_one_pack(generated: Path, fast_only: None) -> None:
    root = generated
    packs = set((root / ".git" / "objects" / "pack").glob("*.pack"))
    files = {
        f"clients/batch-{i:04d}.yaml": f"id: batch-{i:04d}\nname: B {i}\n" for i in range(2000)
    }
    files |= {f"activities/2028/a{i:04d}.yaml": f"id: a{i}\n" for i in range(300)}
    commit(root, files, "import: 2,300 files")
    assert len(git(root, "show", "--name-only", "--format=", "HEAD").split()) == 2300
    new_packs = set((root / ".git" / "objects" / "pack").glob("*.pack")) - packs
    assert len(new_packs) == 1
    git(root, "verify-pack", str(new_packs.pop().with_suffix(".idx")))
    assert_like_git(root)
    # and a batch that deletes and changes many at once
    gone = dict.fromkeys(list(files)[:1500])
    changed = dict.fromkeys(list(files)[1500:1800], "changed\n")
    commit(root, gone | changed)
    assert_like_git(root)


def test_the_same_commit_as_the_general_path(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same files, identity, date and message: the same commit id, byte for byte."""
    other = tmp_path / "other"
    copy_workspace(generated, other)
    changes: dict[str, str | None] = {
        "tasks/tsame.yaml": "id: tsame\n",
        sorted((generated / "deals").iterdir())[0].relative_to(generated).as_posix(): None,
        "activities/2030/anew.yaml": "id: anew\n",
    }
    fast = commit(generated, dict(changes))
    monkeypatch.setenv(gitstore.FAST_COMMIT_ENV, "0")
    slow = commit(other, dict(changes))
    assert fast == slow
    assert_like_git(other)


def test_author_committer_and_dates(generated: Path, fast_only: None) -> None:
    root = generated
    commit(root, {"tasks/tdate.yaml": "id: tdate\n"}, "task tdate: add\n\nwith a body")
    fields = git(root, "log", "-1", "--format=%an|%ae|%cn|%ce|%aI|%cI|%B").strip().split("|")
    assert fields[:4] == ["Test Author", "test@example.com", "Test Author", "test@example.com"]
    assert fields[4] == fields[5] == "2026-11-23T09:30:00+01:00"
    assert fields[6] == "task tdate: add\n\nwith a body"
    reflog = git(root, "reflog", "-1", "--format=%gs", "refs/heads/" + branch(root))
    assert reflog.startswith("commit: task tdate: add")


def test_only_the_given_paths_are_committed(tmp_path: Path, fast_only: None) -> None:
    """Like ``git commit --only PATHS``: what someone staged by hand stays staged, out of
    tcrm's commit (whose message describes only its own change)."""
    root = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    (root / "mine.txt").write_text("staged by hand\n")
    git(root, "add", "mine.txt")
    commit(root, {"b.txt": "b\n"}, "b: add")
    assert git(root, "show", "--name-only", "--format=", "HEAD").split() == ["b.txt"]
    assert git(root, "diff", "--cached", "--name-only").split() == ["mine.txt"]
    assert git(root, "status", "--porcelain") == "A  mine.txt\n"


def branch(root: Path) -> str:
    return git(root, "symbolic-ref", "--short", "HEAD").strip()


# --- indexes git wrote with extensions, and ones left to the general path --------------------


def test_an_index_with_cache_tree_and_untracked_cache(tmp_path: Path, fast_only: None) -> None:
    root = make_repo(tmp_path / "r", {"a/one.txt": "1\n", "b/two.txt": "2\n", "c.txt": "c\n"})
    git(root, "config", "core.untrackedCache", "true")
    git(root, "update-index", "--untracked-cache")
    git(root, "status", "--porcelain")
    index = index_extensions(root)
    assert b"TREE" in index and b"UNTR" in index
    commit(root, {"a/three.txt": "3\n", "c.txt": None, "b/two.txt": "22\n"})
    assert_like_git(root)
    # git builds its next commit from the index's cache-tree: it must not be stale
    git(root, "commit", "-q", "--allow-empty", "-m", "git on top")
    assert git(root, "rev-parse", "HEAD^{tree}") == git(root, "rev-parse", "HEAD~1^{tree}")
    (root / "untracked.txt").write_text("u\n")
    assert git(root, "status", "--porcelain") == "?? untracked.txt\n"  # git rebuilds its cache
    (root / "untracked.txt").unlink()
    (root / "a" / "one.txt").write_text("11\n")
    git(root, "commit", "-q", "-am", "git again")  # and commits on top with the CLI
    assert_like_git(root)


def test_an_index_version_3_with_flags_and_version_4_take_the_general_path(
    tmp_path: Path, general_calls: list[list[str]]
) -> None:
    root = make_repo(tmp_path / "r", {"a.txt": "a\n", "b.txt": "b\n"})
    git(root, "update-index", "--index-version", "4")
    commit(root, {"c.txt": "c\n"})
    assert general_calls == [["c.txt"]]
    assert_like_git(root)

    git(root, "update-index", "--index-version", "2")
    git(root, "update-index", "--skip-worktree", "b.txt")  # an extended flag: version 3
    assert int.from_bytes(index_extensions(root)[4:8], "big") == 3
    commit(root, {"d.txt": "d\n"})
    assert general_calls[-1] == ["d.txt"]
    git(root, "update-index", "--no-skip-worktree", "b.txt")
    assert_like_git(root)


def test_a_version_3_index_without_flagged_entries_is_patched(
    tmp_path: Path, fast_only: None
) -> None:
    root = make_repo(tmp_path / "r", {"a.txt": "a\n", "b.txt": "b\n"})
    # git writes version 2 unless an entry needs version 3's flags: make one by hand
    index = root / ".git" / "index"
    data = index.read_bytes()[:-20]
    data = data[:4] + (3).to_bytes(4, "big") + data[8:]
    index.write_bytes(data + hashlib.sha1(data).digest())
    git(root, "ls-files", "--stage")  # git reads it
    commit(root, {"c.txt": "c\n", "a.txt": None})
    assert int.from_bytes(index_extensions(root)[4:8], "big") == 3
    assert_like_git(root)


def test_a_detached_head_moves_itself_and_a_merge_in_progress_takes_the_general_path(
    tmp_path: Path, general_calls: list[list[str]]
) -> None:
    root = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    git(root, "checkout", "-q", "--detach")
    before = git(root, "rev-parse", "HEAD").strip()
    commit(root, {"b.txt": "b\n"})
    assert general_calls == []  # the fast path: HEAD itself is the ref that moves
    assert git(root, "rev-parse", "HEAD~1").strip() == before
    assert git(root, "rev-parse", "main").strip() == before
    assert not (root / ".git" / "HEAD").read_text().startswith("ref:")
    assert_like_git(root)
    git(root, "checkout", "-q", "main")

    git(root, "checkout", "-q", "-b", "other")
    commit(root, {"o.txt": "o\n"})
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-ff", "--no-commit", "other")
    commit(root, {"m.txt": "m\n"})  # MERGE_HEAD: dulwich makes the merge commit
    assert general_calls[-1] == ["m.txt"]
    assert len(git(root, "log", "-1", "--format=%P").split()) == 2
    assert_like_git(root)


def test_a_file_replaced_by_a_folder_and_a_symlink_take_the_general_path(
    tmp_path: Path, general_calls: list[list[str]]
) -> None:
    root = make_repo(tmp_path / "r", {"notes": "a file\n", "x.txt": "x\n"})
    commit(root, {"notes": None, "notes/a.md": "now a folder\n"})
    assert general_calls == [["notes", "notes/a.md"]]
    assert_like_git(root)

    (root / "link").symlink_to("x.txt")
    gitstore.commit(root, ["link"], "a symlink", WHEN)
    assert general_calls[-1] == ["link"]
    assert git(root, "ls-tree", "HEAD", "link").startswith("120000 ")
    assert_like_git(root)


def test_an_index_entry_with_a_name_over_4095_bytes(tmp_path: Path, fast_only: None) -> None:
    """Its length does not fit the entry's 12 bits: the walk must find its NUL instead."""
    root = make_repo(tmp_path / "r", {"a.txt": "a\n", "z.txt": "z\n"})
    long = "/".join(["d" * 200] * 22) + "/f.txt"  # only in the index: too long for a file
    (tmp_path / "content").write_text("long\n")
    blob = git(root, "hash-object", "-w", str(tmp_path / "content")).strip()
    git(root, "update-index", "--add", "--cacheinfo", f"100644,{blob},{long}")
    staged = git(root, "ls-files", "-s", "-z").split("\0")
    commit(root, {"b.txt": "b\n", "z.txt": "zz\n"})
    after = git(root, "ls-files", "-s", "-z").split("\0")
    assert [e for e in after if long in e] == [e for e in staged if long in e]
    assert git(root, "diff", "--cached", "--name-only") == long + "\n"
    assert git(root, "ls-tree", "-r", "--name-only", "HEAD").split() == ["a.txt", "b.txt", "z.txt"]


def test_a_locked_index_is_refused_without_change(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    (root / ".git" / "index.lock").write_bytes(b"")
    before, index = head(root), index_extensions(root)
    with pytest.raises(GitError, match=r"index\.lock"):
        commit(root, {"b.txt": "b\n"})
    assert head(root) == before
    assert index_extensions(root) == index


# --- hooks ---------------------------------------------------------------------------------


def make_hook(root: Path, name: str, body: str) -> None:
    hook = root / ".git" / "hooks" / name
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    hook.chmod(0o755)


def test_a_refusing_pre_commit_hook_leaves_the_index_byte_identical(
    tmp_path: Path, fast_only: None
) -> None:
    root = make_repo(tmp_path / "r", {"a.txt": "a\n", "d/b.txt": "b\n"})
    # the hook sees the change staged, as with dulwich and git
    make_hook(root, "pre-commit", "git diff --cached --name-only > .git/staged; exit 1")
    index, before = index_extensions(root), head(root)
    assert b"TREE" in index
    with pytest.raises(GitError, match="pre-commit"):
        commit(root, {"c.txt": "c\n", "a.txt": None})
    assert (root / ".git" / "staged").read_text().split() == ["a.txt", "c.txt"]
    assert index_extensions(root) == index
    assert head(root) == before
    assert git(root, "rev-list", "--count", "HEAD").strip() == "1"


def test_commit_msg_hook_edits_or_refuses_the_message(tmp_path: Path, fast_only: None) -> None:
    root = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    make_hook(root, "commit-msg", 'printf "\\nSigned-off-by: hook\\n" >> "$1"')
    commit(root, {"b.txt": "b\n"}, "b: add")
    assert git(root, "log", "-1", "--format=%B").strip() == "b: add\nSigned-off-by: hook"
    assert_like_git(root)

    make_hook(root, "commit-msg", "exit 3")
    index, before = index_extensions(root), head(root)
    with pytest.raises(GitError, match="commit-msg"):
        commit(root, {"c.txt": "c\n"})
    assert index_extensions(root) == index
    assert head(root) == before


def test_post_commit_hook_runs_after_the_commit(tmp_path: Path, fast_only: None) -> None:
    root = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    make_hook(root, "post-commit", f"git rev-parse HEAD > {root / '.git' / 'seen'}")
    sha = commit(root, {"b.txt": "b\n"})
    assert (root / ".git" / "seen").read_text().strip() == sha


def test_what_a_pre_commit_hook_stages_is_committed(tmp_path: Path, fast_only: None) -> None:
    root = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    make_hook(root, "pre-commit", "echo formatted > extra.txt && git add extra.txt")
    commit(root, {"b.txt": "b\n"})
    assert git(root, "show", "--name-only", "--format=", "HEAD").split() == ["b.txt", "extra.txt"]
    assert_like_git(root)


def test_a_branch_moved_during_the_commit_is_refused(tmp_path: Path, fast_only: None) -> None:
    root = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    # another process commits while ours runs its hook: the compare-and-swap must notice
    make_hook(
        root,
        "pre-commit",
        'git update-ref HEAD "$(git commit-tree "HEAD^{tree}" -p HEAD -m other)"',
    )
    index = index_extensions(root)
    with pytest.raises(GitError, match="moved"):
        commit(root, {"b.txt": "b\n"})
    assert git(root, "log", "-1", "--format=%s").strip() == "other"
    assert index_extensions(root) == index
    assert "b.txt" not in git(root, "ls-tree", "-r", "--name-only", "HEAD")


# --- conversions: what dulwich's filters do on the general path still happens ---------------


def test_autocrlf_and_text_attributes_convert_like_git(tmp_path: Path, fast_only: None) -> None:
    root = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    git(root, "config", "core.autocrlf", "input")
    commit(root, {"crlf.txt": "one\r\ntwo\r\n"})
    assert git(root, "cat-file", "blob", "HEAD:crlf.txt") == "one\ntwo\n"
    assert_like_git(root)

    commit(root, {"crlf.txt": None})  # with autocrlf off, its CRLF would be a change
    git(root, "config", "core.autocrlf", "false")
    commit(root, {"docs/.gitattributes": "*.md text\n"})
    commit(root, {"docs/x.md": "x\r\ny\r\n"})
    assert git(root, "cat-file", "blob", "HEAD:docs/x.md") == "x\ny\n"
    assert_like_git(root)


# --- random sequences, compared with git ----------------------------------------------------

NAMES = ["a.yaml", "b.yaml", "c/d.yaml", "c/e.yaml", "c/f/g.yaml", "h/i.yaml", "é.yaml"]
STEP = st.dictionaries(
    st.sampled_from(NAMES), st.one_of(st.none(), st.text("xyz\n", max_size=6)), min_size=1
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(STEP, min_size=1, max_size=4))
def test_random_changes_commit_like_git(
    steps: list[dict[str, str | None]], fast_only: None
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = make_repo(Path(tmp) / "r", {"base.yaml": "base\n", "c/d.yaml": "d\n"})
        for step in steps:
            present = {rel: text for rel, text in step.items() if (root / rel).exists()}
            changes = {rel: text for rel, text in step.items() if text is not None} | {
                rel: None for rel, text in present.items() if text is None
            }
            if not changes:
                continue
            commit(root, changes)
            assert_like_git(root)
