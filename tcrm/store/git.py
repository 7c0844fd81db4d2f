"""The workspace's git repository, through dulwich. The only module that imports dulwich.

Imports are local to the functions so read-only commands never pay for dulwich.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from tcrm.errors import GitError, UsageError

if TYPE_CHECKING:
    from dulwich.objects import ObjectID
    from dulwich.refs import Ref
    from dulwich.repo import BaseRepo, Repo

    from tcrm.store.gitindex import IndexFile
    from tcrm.store.gittree import TreeEditor


@dataclass(frozen=True)
class Identity:
    """Who commits: from git's environment variables and config, like git itself."""

    name: str
    email: str
    configured: bool

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


def _oid(sha: bytes) -> ObjectID:
    """A hex object id as dulwich's type checker wants it (plain bytes at run time)."""
    return cast("ObjectID", sha)


def _ref(name: bytes) -> Ref:
    """A ref name as dulwich's type checker wants it (plain bytes at run time)."""
    return cast("Ref", name)


def is_repo(root: Path) -> bool:
    return (root / ".git").exists()


def _open(root: Path) -> Repo:
    from dulwich.errors import NotGitRepository
    from dulwich.repo import Repo

    try:
        return Repo(str(root))
    except NotGitRepository:
        raise GitError(
            f"{root} is not a git repository; run `git init` there, or create the "
            "workspace with `tcrm init`"
        ) from None


def init(root: Path) -> None:
    """A new repository whose branch is ``init.defaultBranch`` (``main`` if unset)."""
    from dulwich.config import StackedConfig
    from dulwich.repo import Repo

    try:
        branch = StackedConfig.default().get(("init",), "defaultBranch").decode()
    except KeyError:
        branch = "main"
    repo = Repo.init(str(root), mkdir=False)
    try:
        repo.refs.set_symbolic_ref(_ref(b"HEAD"), _ref(b"refs/heads/" + branch.encode()))
    finally:
        repo.close()


def identity(root: Path) -> Identity:
    repo = _open(root)
    try:
        return _identity(repo)
    finally:
        repo.close()


def _identity(repo: Repo) -> Identity:
    from dulwich.repo import get_user_identity

    config = repo.get_config_stack()
    raw = get_user_identity(config, "AUTHOR").decode("utf-8", "replace")
    try:
        config.get(("user",), "name")
        configured = True
    except KeyError:
        configured = "GIT_AUTHOR_NAME" in os.environ
    name, _, email = raw.partition(" <")
    return Identity(name=name, email=email.rstrip(">"), configured=configured)


def commit(root: Path, paths: Iterable[str], message: str, when: datetime | None = None) -> str:
    """Stage ``paths`` (added, changed or deleted; relative, POSIX) and commit them once.

    The fast path (``_fast_commit``) patches the index and rewrites only the trees on the
    way to those paths: its commit is HEAD's tree with them changed, like
    ``git commit --only PATHS`` (what someone staged by hand stays staged). What it does
    not support goes through dulwich's stage + commit, which reads the whole index (and
    commits all of it).
    """
    repo = _open(root)
    try:
        who = _identity(repo)
        rel_paths = sorted(set(paths))
        sha = None
        if os.environ.get(FAST_COMMIT_ENV) != "0":
            sha = _fast_commit(repo, rel_paths, message, who, when)
        if sha is None:
            sha = _dulwich_commit(repo, rel_paths, message, who, when)
    finally:
        repo.close()
    return sha


def _dulwich_commit(
    repo: Repo, rel_paths: list[str], message: str, who: Identity, when: datetime | None
) -> str:
    """The general path: stage through dulwich (whole index read and written), commit."""
    from dulwich.errors import CommitError

    worktree = repo.get_worktree()
    index = repo.open_index()
    staged_before: dict[str, Any] = {}  # put back if the commit fails
    for rel in rel_paths:
        try:
            staged_before[rel] = index[rel.encode()]
        except KeyError:
            staged_before[rel] = None
    worktree.stage(rel_paths)
    author = str(who).encode("utf-8")
    extra: dict[str, Any] = {}
    tree = _only(repo, rel_paths)
    if tree is not None:
        extra["tree"] = tree
    if when is not None:
        timestamp, zone = _moment(when)
        extra = {  # the moment of the change: both git dates, like `git commit --date`
            "commit_timestamp": timestamp,
            "commit_timezone": zone,
            "author_timestamp": timestamp,
            "author_timezone": zone,
        }
    try:
        sha = worktree.commit(
            message=message.encode("utf-8"),
            author=author,
            committer=author,
            sign=_signs(repo.get_config_stack()),
            **extra,
        )
    except BaseException as exc:
        _unstage(repo, staged_before)
        if isinstance(exc, CommitError):
            raise GitError(f"git refused the commit: {exc}") from None
        _refuse_unsigned(exc)
        raise
    return sha.decode() if isinstance(sha, bytes) else str(sha)


def _signs(config: Any) -> bool:
    """Whether commits are signed as git would sign them: ``commit.gpgSign`` with
    ``gpg.format ssh`` (an access policy may require it; docs/access.md). OpenPGP signing
    stays git's own business: tcrm commits unsigned there, as before."""
    fmt = _config(config, b"gpg", b"format")
    return bool(
        config.get_boolean((b"commit",), b"gpgsign", False) and fmt and fmt.lower() == b"ssh"
    )


def _refuse_unsigned(exc: BaseException) -> None:
    """ssh-keygen could not sign (no ``user.signingkey``, a key that needs a passphrase
    without an agent): one clear error, nothing committed."""
    import subprocess

    if isinstance(exc, subprocess.CalledProcessError):
        detail = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise GitError(
            "ssh-keygen could not sign the commit with user.signingkey"
            + (f": {detail[-1]}" if detail else "")
        ) from None
    if isinstance(exc, ValueError) and "SSH signing" in str(exc):
        raise GitError(f"{exc} (set it with git config user.signingkey KEYFILE)") from None


def _only(repo: Repo, rel_paths: list[str]) -> bytes | None:
    """HEAD's tree with only ``rel_paths`` as the index now has them (``git commit
    --only``), so what someone staged by hand in other files stays staged, uncommitted.
    ``None`` (commit the whole index) without a HEAD or during a merge."""
    from dulwich.object_store import commit_tree_changes
    from dulwich.objects import Commit

    if os.path.exists(os.path.join(repo.controldir(), "MERGE_HEAD")):
        return None
    try:
        head = repo[repo.head()]
    except KeyError:
        return None
    if not isinstance(head, Commit):
        return None
    index = repo.open_index()
    changes: list[tuple[bytes, int | None, ObjectID | None]] = []
    for rel in rel_paths:
        name = rel.encode("utf-8", "surrogateescape")
        try:
            entry = index[name]
        except KeyError:
            changes.append((name, None, None))
            continue
        changes.append((name, entry.mode, entry.sha))  # type: ignore[union-attr]
    return commit_tree_changes(repo.object_store, head.tree, changes)


def _moment(when: datetime) -> tuple[float, int]:
    """``(timestamp, UTC offset in seconds)`` of an aware or naive datetime."""
    offset = when.utcoffset()
    return when.timestamp(), int(offset.total_seconds()) if offset else 0


def _unstage(repo: Repo, entries: dict[str, Any]) -> None:
    """Put index entries back as they were, so a refused commit leaves nothing staged."""
    index = repo.open_index()
    for rel, entry in entries.items():
        if entry is not None:
            index[rel.encode()] = entry
        elif rel.encode() in index:
            del index[rel.encode()]
    index.write()


# --- fast commits: patch the index, rewrite only the trees on the way to the changes ----

FAST_COMMIT_ENV = "TCRM_FAST_COMMIT"
"""Set to ``0`` to commit through dulwich's general path (benchmarks compare both)."""
PACK_FROM = 256
"""From this many new blobs, one pack file instead of as many loose objects (imports)."""
_KINDS = {1: b"commit", 2: b"tree", 3: b"blob", 4: b"tag"}
_CONVERTING = re.compile(
    rb"(?:^|\s)[-!]?(?:text|eol|crlf|filter|ident|working-tree-encoding)\b|^\s*\[attr\]"
)
"""gitattributes that may change a file's bytes on the way in (a macro may hide them)."""


@dataclass
class _Base:
    """What a fast commit builds on: HEAD's branch, commit and tree, and where things are."""

    repo: Repo
    root: Path
    objects: Path
    index: Path
    head: bytes  # 40 hex digits, as dulwich refs want
    tree: bytes  # 20 bytes
    level: int  # zlib level of loose objects
    pack_level: int
    fsync: bool
    encoding: bytes | None

    def read(self, sha: bytes) -> tuple[bytes, bytes]:
        return _read_object(self.repo, self.objects, sha)

    def read_tree(self, sha: bytes) -> bytes:
        from tcrm.store.gitindex import Unsupported

        kind, data = self.read(sha)
        if kind != b"tree":
            raise Unsupported(f"{sha.hex()} is a {kind.decode()}, not a tree")
        return data

    def write(self, kind: bytes, data: bytes) -> bytes:
        from tcrm.store import gittree

        return gittree.write_loose(self.objects, kind, data, self.level, self.fsync)


def _read_object(repo: Repo, objects: Path, sha: bytes) -> tuple[bytes, bytes]:
    """``(kind, data)`` of an object: loose ones directly (dulwich would parse them),
    packed ones through dulwich. A missing object raises ``Unsupported``: the general
    path then reports the broken (or shallow) repository its own way."""
    from tcrm.store import gittree
    from tcrm.store.gitindex import Unsupported

    found = gittree.read_loose(objects, sha)
    if found is not None:
        return found
    try:
        kind, data = repo.object_store.get_raw(_oid(sha))
    except KeyError:
        raise Unsupported(f"object {sha.hex()} is missing") from None
    return _KINDS[kind], data


def _fast_base(repo: Repo) -> _Base | None:
    """HEAD and the settings a fast commit needs, or None where only dulwich's general
    path is right: sha256, bare, a merge in progress, no index, an unborn HEAD,
    shared-repository permissions, automatic sign-off, signed commits."""
    from tcrm.store.gitindex import Unsupported

    if repo.bare or repo.object_format.name != "sha1":
        return None
    index = Path(repo.index_path())
    if not index.is_file() or os.path.exists(os.path.join(repo.controldir(), "MERGE_HEAD")):
        return None
    config = repo.get_config_stack()
    if (
        _config(config, b"core", b"sharedRepository") is not None
        or config.get_boolean((b"format",), b"signoff", False)
        or _signs(config)
    ):
        return None
    chain, head = repo.refs.follow(_ref(b"HEAD"))
    if (
        head is None
        or not chain
        or not (chain[-1].startswith(b"refs/heads/") or chain == [b"HEAD"])
    ):
        return None  # a detached HEAD (chain ``[HEAD]``) is allowed: the commit moves HEAD
    objects = Path(repo.object_store.path)
    try:
        kind, data = _read_object(repo, objects, bytes.fromhex(head.decode()))
    except Unsupported:
        return None
    if kind != b"commit" or not data.startswith(b"tree "):
        return None
    level = _config(config, b"core", b"compression")
    return _Base(
        repo=repo,
        root=Path(repo.path),
        objects=objects,
        index=index,
        head=head,
        tree=bytes.fromhex(data[5:45].decode()),
        level=_zlib_level(_config(config, b"core", b"looseCompression") or level, 1),
        pack_level=_zlib_level(_config(config, b"core", b"packCompression") or level, -1),
        fsync=config.get_boolean((b"core",), b"fsyncObjectFiles", False),
        encoding=_config(config, b"i18n", b"commitEncoding"),
    )


def _zlib_level(value: bytes | None, default: int) -> int:
    """A configured compression level, or git's default (1 for loose objects, zlib's own
    for packs) when unset or not a level."""
    try:
        level = int(value) if value is not None else default
    except ValueError:
        return default
    return level if -1 <= level <= 9 else default


def _config(config: Any, section: bytes, key: bytes) -> bytes | None:
    try:
        return config.get((section,), key)  # type: ignore[no-any-return]
    except KeyError:
        return None


def _fast_commit(
    repo: Repo, rel_paths: list[str], message: str, who: Identity, when: datetime | None
) -> str | None:
    """Commit ``rel_paths`` without reading or writing the whole index in Python.

    New blobs and the trees from the root to each changed file are written (each tree
    once); the index is patched in place under ``index.lock``; the pre-commit, commit-msg
    and post-commit hooks run as dulwich runs them; the branch moves with a
    compare-and-swap against the HEAD built on. None, before anything visible changed,
    when the repository needs the general path.
    """
    from tcrm.store import faults, gitindex, gittree

    base = _fast_base(repo)
    if base is None:
        return None
    warm, parsed = _take_warm()
    editor = gittree.TreeEditor(base.read_tree, lambda raw: base.write(b"tree", raw), parsed)
    try:
        with gitindex.IndexLock(base.index) as lock:
            faults.at("index-lock")
            original = base.index.read_bytes()
            index = warm if warm is not None and warm.data == original else None
            index = index or gitindex.IndexFile(original)
            if len(rel_paths) >= PACK_FROM:
                index.load_names()
            tree_changes, index_changes = _stage_fast(base, editor, index, rel_paths)
            tree = editor.build(base.tree, tree_changes)
            previous = {name: index.get(name) for name in index_changes}
            written = lock.commit(index.patched(index_changes))
            faults.at("index")
    except gitindex.Unsupported:
        return None
    except gitindex.IndexLocked as exc:
        raise GitError(str(exc)) from None
    try:
        sha = _record_commit(base, tree, written, message, who, when)
    except BaseException:
        _restore_index(base.index, original, written, previous)
        raise
    _after_commit(repo)
    return sha


def _stage_fast(
    base: _Base, editor: TreeEditor, index: IndexFile, rel_paths: list[str]
) -> tuple[dict[bytes, Any], dict[bytes, bytes | None]]:
    """Blobs of the files (written), and the changes to make to the trees and the index.

    Only regular files and deleted paths: anything else (a symlink, a folder, a file
    where the index has a folder) raises ``Unsupported``.
    """
    import stat

    from tcrm.store.gitindex import Unsupported, entry_bytes

    files: list[tuple[bytes, os.stat_result, bytes]] = []
    tree_changes: dict[bytes, Any] = {}
    index_changes: dict[bytes, bytes | None] = {}
    root = str(base.root)
    for rel in rel_paths:
        name, path = os.fsencode(rel), os.path.join(root, rel)
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode):
                raise Unsupported(f"{rel} is not a regular file")
            with open(path, "rb") as handle:
                st = os.fstat(handle.fileno())  # the stat of the bytes we hash
                files.append((name, st, handle.read()))
        except (FileNotFoundError, NotADirectoryError):
            tree_changes[name] = index_changes[name] = None
    normalize = _normalizer(base, editor, [name for name, _, _ in files])
    blobs = _write_blobs(base, [normalize(name, data) for name, _, data in files])
    checked: set[bytes] = set()
    for (name, st, _), sha in zip(files, blobs, strict=True):
        mode = 0o100755 if st.st_mode & 0o100 else 0o100644
        tree_changes[name] = (mode, sha)
        index_changes[name] = entry_bytes(name, st, mode, sha)
        if index.get(name) is None:
            _check_new_path(index, name, checked)
    return tree_changes, index_changes


def _check_new_path(index: IndexFile, name: bytes, checked: set[bytes]) -> None:
    """A new entry must not make a file and a folder of one name (git's D/F conflict)."""
    from tcrm.store.gitindex import Unsupported

    if index.has_under(name):
        raise Unsupported(f"{name!r} is a folder in the index")
    parts = name.split(b"/")
    for depth in range(1, len(parts)):
        folder = b"/".join(parts[:depth])
        if folder not in checked:
            checked.add(folder)
            if index.get(folder) is not None:
                raise Unsupported(f"{folder!r} is a file in the index")


def _normalizer(
    base: _Base, editor: TreeEditor, names: list[bytes]
) -> Callable[[bytes, bytes], bytes]:
    """How a file's bytes become a blob: as they are, unless ``core.autocrlf`` or a
    gitattributes file could convert them, in which case dulwich's filters decide (as on
    the general path)."""
    if not names or not _may_convert(base, editor, names):
        return lambda name, data: data
    from dulwich.objects import Blob

    normalizer = base.repo.get_blob_normalizer()

    def normalize(name: bytes, data: bytes) -> bytes:
        return normalizer.checkin_normalize(Blob.from_string(data), name).as_raw_string()

    return normalize


def _may_convert(base: _Base, editor: TreeEditor, names: list[bytes]) -> bool:
    config = base.repo.get_config_stack()
    autocrlf = (_config(config, b"core", b"autocrlf") or b"false").lower()
    if autocrlf not in (b"false", b"no", b"off", b"0"):
        return True
    try:
        texts = [(Path(base.repo.controldir()) / "info" / "attributes").read_bytes()]
    except FileNotFoundError:
        texts = []
    for folder in sorted(_folders_of(names)):
        texts.append(
            _attributes(base, editor, folder + b"/.gitattributes" if folder else b".gitattributes")
        )
    lines = (line for text in texts for line in text.splitlines())
    return any(_CONVERTING.search(line) for line in lines if not line.lstrip().startswith(b"#"))


def _folders_of(names: list[bytes]) -> set[bytes]:
    """Every folder holding one of ``names``, and each folder above it (the root is b"")."""
    out = {b""}
    for name in names:
        parts = name.split(b"/")[:-1]
        out.update(b"/".join(parts[:depth]) for depth in range(1, len(parts) + 1))
    return out


def _attributes(base: _Base, editor: TreeEditor, rel: bytes) -> bytes:
    """A ``.gitattributes`` from the working tree, or from HEAD when the working tree has
    none (as dulwich reads them)."""
    try:
        return (base.root / os.fsdecode(rel)).read_bytes()
    except FileNotFoundError:
        found = editor.lookup(base.tree, rel)
        return base.read(found[1])[1] if found is not None else b""
    except (NotADirectoryError, IsADirectoryError):
        return b""


def _write_blobs(base: _Base, contents: list[bytes]) -> list[bytes]:
    """Store the files' blobs; their ids. Many at once go into one pack, as
    ``git fast-import`` would, instead of thousands of loose files."""
    if len(contents) < PACK_FROM:
        return [base.write(b"blob", data) for data in contents]
    from tcrm.store import gittree

    return gittree.write_pack(base.objects, contents, base.pack_level, base.fsync)


def _record_commit(
    base: _Base,
    tree: bytes,
    written: os.stat_result,
    message: str,
    who: Identity,
    when: datetime | None,
) -> str:
    """The pre-commit and commit-msg hooks, the commit object, and the branch moved to it
    (compare-and-swap), once the index holds the change."""
    import time

    from dulwich.objects import Commit

    _hook(base.repo, "pre-commit")
    if _stamp(base.index) != _stamp(written):  # the hook staged more: commit the index
        from dulwich.index import Index

        tree = bytes.fromhex(Index(str(base.index)).commit(base.repo.object_store).decode())
    timestamp, zone = _moment(when) if when is not None else (time.time(), 0)
    author = str(who).encode("utf-8")
    commit = Commit()
    commit.tree = tree.hex().encode()
    commit.parents = [_oid(base.head)]
    commit.author = commit.committer = author
    commit.author_time = commit.commit_time = int(timestamp)
    commit.author_timezone = commit.commit_timezone = zone
    if base.encoding is not None:
        commit.encoding = base.encoding
    text = message.encode("utf-8")
    commit.message = _hook(base.repo, "commit-msg", text) or text
    sha = base.write(b"commit", commit.as_raw_string()).hex().encode()
    if not base.repo.refs.set_if_equals(
        _ref(b"HEAD"),
        _oid(base.head),
        _oid(sha),
        message=b"commit: " + text,
        committer=author,
        timestamp=int(timestamp),
        timezone=zone,
    ):
        raise GitError("the branch moved while committing (another git process?); try again")
    return sha.decode()


def _hook(repo: Repo, name: str, *args: bytes) -> Any:
    """Run a hook as dulwich's commit does; a refusal is a ``GitError``."""
    from dulwich.errors import HookError

    hook = _installed_hook(repo, name)
    try:
        return hook.execute(*args) if hook is not None else None
    except HookError as exc:
        raise GitError(f"git refused the commit: {exc}") from None


def _installed_hook(repo: Repo, name: str) -> Any:
    """dulwich's hook, or None when its file does not exist (dulwich would try to start
    it anyway, ~4 ms a hook, and ignore that it is missing)."""
    hook = repo.hooks.get(name)
    path = getattr(hook, "filepath", None)
    return None if hook is None or (path is not None and not os.path.exists(path)) else hook


def _after_commit(repo: Repo) -> None:
    """The post-commit hook (a failure only warns: the commit is made) and dulwich's
    automatic garbage collection, as after dulwich's own commit."""
    import warnings

    from dulwich.errors import HookError
    from dulwich.gc import maybe_auto_gc

    hook = _installed_hook(repo, "post-commit")
    try:
        if hook is not None:
            hook.execute()
    except HookError as exc:
        warnings.warn(f"post-commit hook failed: {exc}", UserWarning, stacklevel=3)
    maybe_auto_gc(repo)


def _stamp(file: Path | os.stat_result) -> tuple[int, int, int] | None:
    """What changes when a file is rewritten (git writes the index by renaming a new file)."""
    try:
        st = os.stat(file) if isinstance(file, Path) else file
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _restore_index(
    index: Path, original: bytes, written: os.stat_result, previous: dict[bytes, bytes | None]
) -> None:
    """Undo the index change of a commit that did not happen: the original bytes when
    nobody touched the index since, else our entries put back in what a hook left."""
    from tcrm.store import gitindex

    if _stamp(index) == _stamp(written):
        gitindex.write_index(index, original)
        return
    try:
        with gitindex.IndexLock(index) as lock:
            current = gitindex.IndexFile(index.read_bytes())
            lock.commit(current.patched(previous))
    except (gitindex.Unsupported, gitindex.IndexLocked, FileNotFoundError):
        pass  # best effort while already failing: git status shows what is staged


def head(root: Path) -> str | None:
    """The current commit id, or None in a repository with no commit yet."""
    repo = _open(root)
    try:
        return repo.head().decode()
    except KeyError:
        return None
    finally:
        repo.close()


def changed_paths(root: Path, paths: Iterable[str]) -> list[str]:
    """Which of ``paths`` differ from what HEAD holds (so a no-op change makes no commit)."""
    from dulwich.object_store import tree_lookup_path

    repo = _open(root)
    try:
        try:
            tree = repo[repo.head()].tree  # type: ignore[attr-defined]
        except KeyError:
            return sorted(set(paths))
        from dulwich.objects import Blob

        out = []
        for rel in sorted(set(paths)):
            full = root / rel
            try:
                _, sha = tree_lookup_path(repo.__getitem__, tree, rel.encode())
            except KeyError:
                if full.exists():
                    out.append(rel)
                continue
            if not full.exists() or Blob.from_string(full.read_bytes()).id != sha:
                out.append(rel)
        return out
    finally:
        repo.close()


# --- the state git is in: what a write must respect ------------------------------------

_IN_PROGRESS = (
    ("rebase-merge", "a git rebase", "git rebase --continue", "git rebase --abort"),
    ("rebase-apply/applying", "a git am", "git am --continue", "git am --abort"),
    ("rebase-apply", "a git rebase", "git rebase --continue", "git rebase --abort"),
    ("MERGE_HEAD", "a git merge", "git commit", "git merge --abort"),
    (
        "CHERRY_PICK_HEAD",
        "a git cherry-pick",
        "git cherry-pick --continue",
        "git cherry-pick --abort",
    ),
    ("REVERT_HEAD", "a git revert", "git revert --continue", "git revert --abort"),
    ("BISECT_LOG", "a git bisect", None, "git bisect reset"),
)
"""What git leaves in its folder while an operation waits for the user, and how each ends."""


def control_dir(root: Path) -> Path:
    """The repository's git folder, read from ``.git`` (a folder, or a ``gitdir:`` file in
    a linked work tree) without dulwich."""
    dot_git = root / ".git"
    if dot_git.is_file():
        text = dot_git.read_text(encoding="utf-8", errors="replace")
        if text.startswith("gitdir:"):
            return (root / text[len("gitdir:") :].strip()).resolve()
    return dot_git


def in_progress(root: Path) -> str | None:
    """One line saying which git operation waits to be finished, and how to finish or
    abort it; ``None`` when git is not in the middle of one."""
    git = control_dir(root)
    for marker, what, finish, abort in _IN_PROGRESS:
        if (git / marker).exists():
            how = (
                f"finish it with `{finish}` or abort it with `{abort}`"
                if finish
                else (f"end it with `{abort}`")
            )
            return (
                f"{what} is in progress in this workspace; {how}, then run tcrm again "
                "(tcrm does not write in the middle of it)"
            )
    return None


def detached_head(root: Path) -> str | None:
    """The commit a detached HEAD points at, ``None`` on a branch (or an unborn one)."""
    try:
        text = (control_dir(root) / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return None if text.startswith("ref:") else text


def hand_edited(root: Path, current: dict[str, bytes | None]) -> list[str]:
    """Which of ``current`` (``{path: the working file's bytes, None if absent}``) differ
    from HEAD, in the working tree or in the index: edits tcrm did not make.

    A path is clean when HEAD, the index and the working file all hold the same blob (or
    all lack it). Looks up only these paths (HEAD's trees on the way to them, the index
    entries by binary search), so a big import checks its new files quickly.
    """
    from tcrm.store import gitindex, gittree

    if not current:
        return []
    repo = _open(root)
    try:
        if repo.object_format.name != "sha1":
            return _hand_edited_slowly(root, current)
        objects = Path(repo.object_store.path)
        head_tree: bytes | None = None
        try:
            kind, data = _read_object(repo, objects, bytes.fromhex(repo.head().decode()))
        except KeyError:  # no commit yet
            kind, data = b"", b""
        except gitindex.Unsupported:  # HEAD's commit is missing (a shallow clone?)
            return _hand_edited_slowly(root, current)
        if kind == b"commit" and data.startswith(b"tree "):
            head_tree = bytes.fromhex(data[5:45].decode())

        def read_tree(sha: bytes) -> bytes:
            return _read_object(repo, objects, sha)[1]

        parsed: dict[bytes, gittree.Tree] = {}
        editor = gittree.TreeEditor(read_tree, lambda raw: b"", parsed)
        staged = _index_shas(repo, list(current), parsed)
        out = []
        for rel, content in sorted(current.items()):
            name = os.fsencode(rel)
            try:
                found = editor.lookup(head_tree, name) if head_tree is not None else None
            except gitindex.Unsupported:
                return _hand_edited_slowly(root, current)
            in_head = found[1] if found is not None else None
            in_index = staged.get(rel)
            on_disk = None if content is None else gittree.object_id(b"blob", content)
            if not (in_head == in_index == on_disk):
                out.append(rel)
        return out
    finally:
        repo.close()


def _hand_edited_slowly(root: Path, current: dict[str, bytes | None]) -> list[str]:
    """``hand_edited`` through dulwich's status of the whole work tree: for what the fast
    look-ups do not read (sha256 repositories, missing objects)."""
    changed, _ = dirty(root)
    return sorted(set(changed) & set(current))


_warm: tuple[IndexFile, dict[bytes, Any]] | None = None
"""The index and HEAD's trees ``hand_edited`` just parsed, for the commit that follows
(``_take_warm``): parsing a 100,000-entry index and a big folder's tree once, not twice."""


def _take_warm() -> tuple[IndexFile | None, dict[bytes, Any]]:
    global _warm
    warm, _warm = _warm, None
    return (warm[0], warm[1]) if warm is not None else (None, {})


def _index_shas(repo: Repo, paths: list[str], parsed: dict[bytes, Any]) -> dict[str, bytes]:
    """``{path: blob id (20 bytes)}`` of the index's stage-0 entries for ``paths``."""
    global _warm
    from tcrm.store import gitindex

    try:
        index = gitindex.IndexFile(Path(repo.index_path()).read_bytes())
        _warm = (index, parsed)
    except FileNotFoundError:
        return {}
    except gitindex.Unsupported:
        from dulwich.index import IndexEntry

        found = repo.open_index()
        out = {}
        for rel in paths:
            try:
                held = found[rel.encode()]
            except KeyError:
                continue
            if isinstance(held, IndexEntry):  # not a conflicted one
                out[rel] = bytes.fromhex(held.sha.decode())
        return out
    if len(paths) >= PACK_FROM:
        index.load_names()  # many look-ups: decode every name once
    out = {}
    for rel in paths:
        entry = index.get(os.fsencode(rel))
        if entry is not None:
            out[rel] = entry[40:60]
    return out


def stale_locks(root: Path) -> list[Path]:
    """The lock files a git write of tcrm's takes: the index's, HEAD's and its branch's."""
    git = control_dir(root)
    out = [git / "index.lock", git / "HEAD.lock"]
    try:
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return out
    if head.startswith("ref: refs/heads/"):
        out.append(git / (head[len("ref: ") :] + ".lock"))
    return out


def reset_paths(root: Path, paths: Iterable[str]) -> None:
    """Stage ``paths`` as the working tree has them (files put back as HEAD has them:
    the index entries then equal HEAD's again), through dulwich."""
    rel = sorted(set(paths))
    if not rel:
        return
    repo = _open(root)
    try:
        repo.get_worktree().stage(rel)
    finally:
        repo.close()


def head_message(root: Path) -> tuple[list[str], str] | None:
    """``(parents, message)`` of HEAD's commit, ``None`` without one."""
    repo = _open(root)
    try:
        try:
            commit = repo[repo.head()]
        except KeyError:
            return None
        return [p.decode() for p in commit.parents], commit.message.decode("utf-8", "replace")  # type: ignore[attr-defined]
    finally:
        repo.close()


# --- team sync: remotes, fetch, merge commits, push ----------------------------------

ZERO = "0" * 40


class RemoteError(GitError):
    """A remote cannot be reached or refused the operation; nothing changed locally."""


class PushRejected(GitError):
    """The remote branch moved while we merged: fetch and merge again."""


@dataclass(frozen=True)
class CommitInfo:
    """A commit as history shows it."""

    id: str
    parents: tuple[str, ...]
    author: str
    email: str
    when: datetime
    message: str

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]


@dataclass(frozen=True)
class FileChange:
    """A file a commit added, changed, deleted or renamed (paths relative, POSIX)."""

    old_path: str | None
    new_path: str | None
    old_blob: str | None
    new_blob: str | None


def git_dir(root: Path) -> Path:
    repo = _open(root)
    try:
        return Path(repo.controldir())
    finally:
        repo.close()


def current_branch(root: Path) -> str:
    """The checked-out branch; a detached HEAD is refused (sync needs a branch)."""
    repo = _open(root)
    try:
        chain, _ = repo.refs.follow(_ref(b"HEAD"))
    finally:
        repo.close()
    target = chain[-1] if chain else b"HEAD"
    if not target.startswith(b"refs/heads/"):
        raise GitError(
            "HEAD is detached (not on a branch); check out a branch, e.g. `git switch main`"
        )
    return target[len(b"refs/heads/") :].decode()


def get_config(root: Path, section: tuple[str, ...], key: str) -> str | None:
    repo = _open(root)
    try:
        value = repo.get_config().get(tuple(s.encode() for s in section), key.encode())
        return value.decode()
    except KeyError:
        return None
    finally:
        repo.close()


def set_config(root: Path, values: dict[tuple[tuple[str, ...], str], str]) -> None:
    """Write ``{(section, key): value}`` into the repository's own ``.git/config``."""
    repo = _open(root)
    try:
        config = repo.get_config()
        for (section, key), value in values.items():
            config.set(tuple(s.encode() for s in section), key.encode(), value.encode())
        config.write_to_path()
    finally:
        repo.close()


def remotes(root: Path) -> dict[str, str]:
    """``{name: url}`` of the remotes configured in this repository."""
    repo = _open(root)
    try:
        config = repo.get_config()
        out = {}
        for section in config.sections():
            if len(section) == 2 and section[0] == b"remote":
                try:
                    out[section[1].decode()] = config.get(section, b"url").decode()
                except KeyError:
                    continue
        return out
    finally:
        repo.close()


def add_remote(root: Path, name: str, url: str) -> None:
    set_config(
        root,
        {
            (("remote", name), "url"): url,
            (("remote", name), "fetch"): f"+refs/heads/*:refs/remotes/{name}/*",
        },
    )


def set_upstream(root: Path, branch: str, remote: str) -> None:
    """So a plain ``git pull``/``git push`` in this clone uses the same remote branch."""
    set_config(
        root,
        {
            (("branch", branch), "remote"): remote,
            (("branch", branch), "merge"): f"refs/heads/{branch}",
        },
    )


def _credentials(url: str, root: Path | None = None) -> dict[str, Any]:
    """Credentials from where git keeps them: the URL itself, else git's credential helpers
    (``credential.helper``: ``store`` and its ``~/.git-credentials``, ``cache``, a keychain)
    for http(s); ``$GIT_SSH_COMMAND``/``$GIT_SSH``, else ``core.sshCommand``, else ``ssh``
    (keys, agent, ``~/.ssh/config``) for ssh."""
    from urllib.parse import urlparse

    extra: dict[str, str] = {}
    parsed = urlparse(url)
    if parsed.scheme in ("http", "https") and parsed.hostname and not parsed.password:
        extra = _credential_fill(url, root)
    ssh_command = os.environ.get("GIT_SSH_COMMAND") or os.environ.get("GIT_SSH")
    if ssh_command:
        extra["ssh_command"] = ssh_command
    return extra


def _credential_fill(url: str, root: Path | None) -> dict[str, str]:
    """What ``git credential fill`` answers for ``url`` from the configured helpers alone.

    Prompts are off (no terminal prompt, no askpass program): a sync run by cron must never
    wait for a person, and a public remote needs no credentials. Without an answer, ``{}``.
    """
    import subprocess
    from urllib.parse import urlparse

    parsed = urlparse(url)
    query = f"protocol={parsed.scheme}\nhost={parsed.netloc.rpartition('@')[2]}\n"
    if parsed.path.strip("/"):
        query += f"path={parsed.path.lstrip('/')}\n"
    if parsed.username:
        query += f"username={parsed.username}\n"
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_ASKPASS", "SSH_ASKPASS")}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true" if os.name != "nt" else "")
    try:
        answer = subprocess.run(
            ["git", "credential", "fill"],
            input=query + "\n",
            capture_output=True,
            text=True,
            cwd=root,
            env=env,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if answer.returncode != 0:
        return {}
    fields = dict(line.partition("=")[::2] for line in answer.stdout.splitlines() if "=" in line)
    if not fields.get("username") or not fields.get("password"):
        return {}
    return {"username": fields["username"], "password": fields["password"]}


DEFAULT_TIMEOUT = 30.0
"""Seconds a remote may stay silent before a sync, clone or push gives up."""


def _ssh_timeout(extra: dict[str, Any], timeout: float) -> dict[str, Any]:
    """OpenSSH's own limits: connecting, and a server that stops answering. A command
    that is not ``ssh`` (plink, a wrapper script) is left as it is."""
    import shlex

    command = extra.get("ssh_command", "ssh")
    try:
        program = shlex.split(command)[0] if command.strip() else ""
    except ValueError:
        return extra
    if Path(program).name != "ssh":
        return extra
    seconds = max(1, round(timeout))
    options = (
        f"-o ConnectTimeout={seconds} -o ServerAliveInterval={seconds} -o ServerAliveCountMax=1"
    )
    return {**extra, "ssh_command": f"{command} {options}"}


class _Deadline:
    """Sockets made inside (git://, http(s)://) give up after ``timeout`` seconds without
    an answer: dulwich gives them no timeout of its own. The default is process-wide while
    it lasts, as git's own network code runs one operation at a time."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def __enter__(self) -> None:
        import socket

        self._previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(self.timeout)

    def __exit__(self, *exc: object) -> None:
        import socket

        socket.setdefaulttimeout(self._previous)


def _client(
    repo: Repo | None, url: str, operation: str, timeout: float = DEFAULT_TIMEOUT
) -> tuple[Any, str]:
    from dulwich.client import get_transport_and_path

    config = repo.get_config_stack() if repo is not None else None
    extra = _credentials(url, Path(repo.path) if repo is not None else None)
    if "ssh_command" not in extra and config is not None:
        # as git chooses: $GIT_SSH_COMMAND, then core.sshCommand, then ssh
        with contextlib.suppress(KeyError):
            extra["ssh_command"] = config.get((b"core",), b"sshCommand").decode()
    extra = _ssh_timeout(extra, timeout)
    return get_transport_and_path(url, config=config, operation=operation, **extra)


def _timed_out(exc: BaseException) -> bool:
    """A timeout, however dulwich or urllib3 wrapped it."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TimeoutError) or "timeout" in type(current).__name__.lower():
            return True
        if "timed out" in str(current).lower():
            return True
        current = current.__cause__ or current.__context__
    return False


def _unreachable(
    name: str,
    url: str,
    exc: BaseException,
    pushing: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> RemoteError:
    if type(exc).__name__ == "HTTPUnauthorized":  # dulwich.client, imported lazily
        return RemoteError(
            f"remote {name!r} ({url}) refused the credentials (HTTP 401): store the right"
            " ones where git keeps them (git credential approve, ~/.git-credentials);"
            " nothing was changed locally"
        )
    reason = " ".join(str(exc).split()) or type(exc).__name__
    if _timed_out(exc):
        reason = f"no answer within {timeout:g} s (try --timeout SECONDS)"
    if pushing:
        return RemoteError(f"cannot push to remote {name!r} ({url}): {reason}")
    return RemoteError(
        f"cannot reach remote {name!r} ({url}): {reason}; nothing was changed locally"
    )


def fetch(
    root: Path,
    remote: str,
    url: str,
    update_refs: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, str]:
    """Download what ``remote`` has; ``{branch: commit}`` of its branches.

    With ``update_refs`` the remote-tracking refs (``refs/remotes/<remote>/*``) follow;
    without, only objects are added (a dry run changes nothing a person can see). A
    remote silent for ``timeout`` seconds is given up on; no ref has moved then.
    """
    repo = _open(root)
    try:
        try:
            client, path = _client(repo, url, "pull", timeout)
            with _Deadline(timeout):
                result = client.fetch(path.encode() if isinstance(path, str) else path, repo)
        except (KeyboardInterrupt, GitError):
            raise
        except Exception as exc:  # network, protocol, missing path: many dulwich types
            raise _unreachable(remote, url, exc, timeout=timeout) from None
        heads = {
            ref[len(b"refs/heads/") :].decode(): sha.decode()
            for ref, sha in (result.refs or {}).items()
            if ref.startswith(b"refs/heads/") and sha and sha.decode() != ZERO
        }
        if update_refs:
            for branch, sha in heads.items():
                repo.refs[_ref(f"refs/remotes/{remote}/{branch}".encode())] = _oid(sha.encode())
        return heads
    finally:
        repo.close()


def push(
    root: Path,
    remote: str,
    url: str,
    branch: str,
    expected: str | None,
    timeout: float = DEFAULT_TIMEOUT,
) -> None:
    """Make the remote's ``branch`` our HEAD, only if it still is ``expected``.

    Raises ``PushRejected`` when someone pushed in between (fetch and merge again).
    """
    ref = f"refs/heads/{branch}".encode()
    repo = _open(root)
    try:
        local = repo.refs[_ref(ref)]
        moved: list[bytes | None] = []

        def update_refs(refs: dict[bytes, bytes]) -> dict[bytes, bytes]:
            current = refs.get(ref)
            current_text = current.decode() if current and current.decode() != ZERO else None
            if current_text != expected:
                moved.append(current)
                return dict(refs)
            return {**refs, ref: local}

        def pack_data(
            have: Any, want: Any, *, ofs_delta: bool = False, progress: Any = None
        ) -> Any:
            return repo.generate_pack_data(
                set(have), set(want), progress=progress, ofs_delta=ofs_delta
            )

        try:
            client, path = _client(repo, url, "push", timeout)
            with _Deadline(timeout):
                result = client.send_pack(
                    path.encode() if isinstance(path, str) else path, update_refs, pack_data
                )
        except (KeyboardInterrupt, GitError):
            raise
        except Exception as exc:
            raise _unreachable(remote, url, exc, pushing=True, timeout=timeout) from None
        if moved:
            raise PushRejected(f"{remote}/{branch} moved while syncing")
        status = (result.ref_status or {}).get(ref)
        if status:
            raise RemoteError(f"remote {remote!r} refused the push of {branch}: {status}")
        repo.refs[_ref(f"refs/remotes/{remote}/{branch}".encode())] = local
    finally:
        repo.close()


def clone(url: str, target: Path, timeout: float = DEFAULT_TIMEOUT) -> None:
    """A working clone of ``url`` at ``target`` (which must not exist or be empty).

    Checks out the remote's HEAD branch; when that names no branch (a bare repository
    made with another default branch), ``main``, ``master`` or the only branch.
    """
    import io

    from dulwich import porcelain

    try:
        extra = _ssh_timeout(_credentials(url), timeout)
        with _Deadline(timeout):
            listing = porcelain.ls_remote(url, **extra)
            heads = sorted(r for r in listing.refs if r.startswith(b"refs/heads/"))
            head = (listing.symrefs or {}).get(_ref(b"HEAD"))
            branch = None
            if heads and head not in heads:
                names = [r[len(b"refs/heads/") :] for r in heads]
                branch = next((b for b in (b"main", b"master") if b in names), names[0])
            repo = porcelain.clone(
                url, str(target), checkout=True, errstream=io.BytesIO(), branch=branch, **extra
            )
    except (KeyboardInterrupt, GitError):
        raise
    except Exception as exc:
        raise _unreachable("origin", url, exc, timeout=timeout) from None
    repo.close()


def point_remote_head(url: str, branch: str) -> str | None:
    """Make the HEAD of a remote on this machine (a path or ``file://``) name ``branch``
    when it names a branch that does not exist (``git init --bare`` names ``master``),
    as a git host does on the first push: a plain ``git clone`` then checks ``branch``
    out. Returns the branch HEAD named before, or None when nothing changed. Over the
    network git has no way to set a remote's HEAD (docs/sync.md says what to do)."""
    from dulwich.client import LocalGitClient
    from dulwich.repo import Repo

    try:
        client, path = _client(None, url, "push")
    except Exception:
        return None
    if not isinstance(client, LocalGitClient):
        return None
    try:
        repo = Repo(path)
    except Exception:
        return None
    try:
        chain, _ = repo.refs.follow(_ref(b"HEAD"))
        target = chain[-1] if chain else b""
        wanted = f"refs/heads/{branch}".encode()
        if target == wanted or _ref(target) in repo.refs or _ref(wanted) not in repo.refs:
            return None
        repo.refs.set_symbolic_ref(_ref(b"HEAD"), _ref(wanted))
        return target.removeprefix(b"refs/heads/").decode()
    finally:
        repo.close()


def merge_bases(root: Path, a: str, b: str) -> list[str]:
    from dulwich.graph import find_merge_base

    repo = _open(root)
    try:
        return [s.decode() for s in find_merge_base(repo, [_oid(a.encode()), _oid(b.encode())])]
    finally:
        repo.close()


def is_ancestor(root: Path, ancestor: str, descendant: str) -> bool:
    from dulwich.graph import can_fast_forward

    repo = _open(root)
    try:
        return bool(can_fast_forward(repo, _oid(ancestor.encode()), _oid(descendant.encode())))
    finally:
        repo.close()


def count_commits(root: Path, include: str, exclude: str | None) -> int:
    """Commits reachable from ``include`` but not from ``exclude``."""
    repo = _open(root)
    try:
        walker = repo.get_walker(
            include=[_oid(include.encode())], exclude=[_oid(exclude.encode())] if exclude else None
        )
        return sum(1 for _ in walker)
    finally:
        repo.close()


def tree_files(root: Path, commit_id: str | None) -> dict[str, str]:
    """``{path: blob id}`` of every file in a commit (``{}`` for ``None``)."""
    if commit_id is None:
        return {}
    from dulwich.object_store import iter_tree_contents

    repo = _open(root)
    try:
        tree = repo[commit_id.encode()].tree  # type: ignore[attr-defined]
        return {
            entry.path.decode("utf-8", "surrogateescape"): entry.sha.decode()
            for entry in iter_tree_contents(repo.object_store, tree)
            if entry.path is not None and entry.sha is not None
        }
    finally:
        repo.close()


def tree_executables(root: Path, commit_id: str | None) -> frozenset[str]:
    """The paths of a commit that git keeps as executable files (mode 100755): a sync
    writes them executable, as ``git checkout`` would (a hook script, say)."""
    if commit_id is None:
        return frozenset()
    from dulwich.object_store import iter_tree_contents

    repo = _open(root)
    try:
        tree = repo[commit_id.encode()].tree  # type: ignore[attr-defined]
        return frozenset(
            entry.path.decode("utf-8", "surrogateescape")
            for entry in iter_tree_contents(repo.object_store, tree)
            if entry.path is not None and entry.mode == 0o100755
        )
    finally:
        repo.close()


def tree_links(root: Path, commit_id: str) -> list[str]:
    """The paths of a commit that git keeps as symbolic links (mode 120000)."""
    import stat

    from dulwich.object_store import iter_tree_contents

    repo = _open(root)
    try:
        tree = repo[commit_id.encode()].tree  # type: ignore[attr-defined]
        return sorted(
            entry.path.decode("utf-8", "surrogateescape")
            for entry in iter_tree_contents(repo.object_store, tree)
            if entry.path is not None and entry.mode is not None and stat.S_ISLNK(entry.mode)
        )
    finally:
        repo.close()


def read_blobs(root: Path, blob_ids: Iterable[str]) -> dict[str, bytes]:
    repo = _open(root)
    try:
        return {sha: repo[sha.encode()].as_raw_string() for sha in set(blob_ids)}
    finally:
        repo.close()


def blob_id(data: bytes) -> str:
    from dulwich.objects import Blob

    return Blob.from_string(data).id.decode()


def commit_merge(root: Path, paths: Iterable[str], message: str, merge_head: str) -> str:
    """Stage ``paths`` (already written) and commit with two parents: HEAD and ``merge_head``."""
    who = identity(root)
    repo = _open(root)
    try:
        worktree = repo.get_worktree()
        rel_paths = sorted(set(paths))
        index = repo.open_index()
        staged_before: dict[str, Any] = {}
        for rel in rel_paths:
            try:
                staged_before[rel] = index[rel.encode()]
            except KeyError:
                staged_before[rel] = None
        worktree.stage(rel_paths)
        author = str(who).encode("utf-8")
        try:
            sha = worktree.commit(
                message=message.encode("utf-8"),
                author=author,
                committer=author,
                merge_heads=[_oid(merge_head.encode())],
                sign=_signs(repo.get_config_stack()),
            )
        except BaseException as exc:
            _unstage(repo, staged_before)
            _refuse_unsigned(exc)
            raise
    finally:
        repo.close()
    return sha.decode() if isinstance(sha, bytes) else str(sha)


def fast_forward(root: Path, paths: Iterable[str], new_head: str) -> None:
    """Stage ``paths`` (already written as ``new_head`` has them) and move the branch there."""
    branch = current_branch(root)
    repo = _open(root)
    try:
        rel = sorted(set(paths))
        if rel:
            repo.get_worktree().stage(rel)
        repo.refs[_ref(f"refs/heads/{branch}".encode())] = _oid(new_head.encode())
    finally:
        repo.close()


def dirty(root: Path) -> tuple[list[str], list[str]]:
    """``(changed, untracked)``: tracked files that differ from HEAD (staged or not), and
    files git does not know (ignored ones left out)."""
    from dulwich import porcelain

    repo = _open(root)
    try:
        status = porcelain.status(repo, untracked_files="all")
    finally:
        repo.close()
    changed: set[str] = set()
    for group in status.staged.values():
        changed.update(p.decode() if isinstance(p, bytes) else p for p in group)
    changed.update(p.decode() if isinstance(p, bytes) else p for p in status.unstaged)
    untracked = sorted(p.decode() if isinstance(p, bytes) else p for p in status.untracked)
    return sorted(changed), untracked


def _info(commit: Any) -> CommitInfo:
    from datetime import timedelta, timezone

    raw = commit.author.decode("utf-8", "replace")
    name, _, email = raw.partition(" <")
    zone = timezone(timedelta(seconds=commit.author_timezone))
    return CommitInfo(
        id=commit.id.decode(),
        parents=tuple(p.decode() for p in commit.parents),
        author=name,
        email=email.rstrip(">"),
        when=datetime.fromtimestamp(commit.author_time, zone),
        message=commit.message.decode("utf-8", "replace"),
    )


def commits(root: Path, head: str | None = None) -> list[CommitInfo]:
    """Every commit reachable from ``head`` (HEAD), children before their parents."""
    repo = _open(root)
    try:
        try:
            start = head.encode() if head else repo.head()
        except KeyError:
            return []
        walker = repo.get_walker(include=[_oid(start)], order="topo")
        return [_info(entry.commit) for entry in walker]
    finally:
        repo.close()


def commit_info(root: Path, commit_id: str) -> CommitInfo:
    repo = _open(root)
    try:
        return _info(repo[commit_id.encode()])
    finally:
        repo.close()


def file_changes(root: Path, commit_id: str, parent_id: str | None) -> list[FileChange]:
    """What ``commit_id`` changed relative to ``parent_id`` (the empty tree for ``None``).

    No content-based rename detection: record ids never change, so callers pair a
    deleted and an added file of the same record themselves (an activity whose year
    changed), and two similar records are never mistaken for one.
    """
    from dulwich.diff_tree import tree_changes

    repo = _open(root)
    try:
        store = repo.object_store
        new_tree = repo[commit_id.encode()].tree  # type: ignore[attr-defined]
        old_tree = repo[parent_id.encode()].tree if parent_id else None  # type: ignore[attr-defined]
        out = []
        for change in tree_changes(store, old_tree, new_tree):
            old, new = change.old, change.new
            out.append(
                FileChange(
                    old_path=old.path.decode() if old and old.path else None,
                    new_path=new.path.decode() if new and new.path else None,
                    old_blob=old.sha.decode() if old and old.sha else None,
                    new_blob=new.sha.decode() if new and new.sha else None,
                )
            )
        return out
    finally:
        repo.close()


@dataclass(frozen=True)
class LastVersion:
    """The newest version of a file that HEAD no longer has, and the commit that deleted it."""

    path: str
    data: bytes
    commit: CommitInfo
    """The commit that deleted the file (or, if none is found, the last one that had it)."""


def last_versions(root: Path, paths: Iterable[str]) -> dict[str, LastVersion]:
    """``{path: LastVersion}`` for each of ``paths`` some commit before HEAD had.

    One walk from HEAD, children before parents, until each path has its newest version
    and the commit that deleted it: a commit without the file whose parent had it (a
    merge commit only when no other commit did, as a merge just carries a deletion).
    """
    from dulwich.object_store import tree_lookup_path

    wanted = {p.encode("utf-8", "surrogateescape"): p for p in set(paths)}
    out: dict[str, LastVersion] = {}
    if not wanted or not is_repo(root):
        return out
    repo = _open(root)
    try:
        try:
            start = repo.head()
        except KeyError:
            return out
        store = repo.object_store

        def holds(commit_id: bytes, raw: bytes) -> bytes | None:
            try:
                tree = store[_oid(commit_id)].tree  # type: ignore[attr-defined]
                return tree_lookup_path(store.__getitem__, tree, raw)[1]
            except KeyError:
                return None

        newest: dict[bytes, bytes] = {}
        deleter: dict[bytes, Any] = {}
        merge_deleter: dict[bytes, Any] = {}
        for entry in repo.get_walker(include=[_oid(start)], order="topo"):
            commit = entry.commit
            for raw in wanted:
                if raw in deleter:
                    continue
                sha = holds(commit.id, raw)
                if sha is not None:
                    newest.setdefault(raw, sha)
                    continue
                before = [b for b in (holds(parent, raw) for parent in commit.parents) if b]
                if before:
                    newest.setdefault(raw, before[0])
                    if len(commit.parents) == 1:
                        deleter[raw] = commit
                    else:
                        merge_deleter.setdefault(raw, commit)
            if len(deleter) == len(wanted):
                break
        for raw, rel in wanted.items():
            who = deleter.get(raw) or merge_deleter.get(raw)
            if raw in newest and who is not None:
                data = store[_oid(newest[raw])].as_raw_string()
                out[rel] = LastVersion(rel, data, _info(who))
    finally:
        repo.close()
    return out


# --- calendar feeds: when each record file last changed --------------------------------


@dataclass(frozen=True)
class Revision:
    """When a file last changed and how often: a calendar's LAST-MODIFIED and SEQUENCE.

    ``changes`` counts the commits reachable from HEAD that changed the file, plus one
    when the working copy differs from HEAD; it only grows as history grows, and every
    clone with the same HEAD computes the same value.
    """

    changed: datetime
    changes: int
    committed: bool = True
    """False when the file differs from HEAD (a hand edit not committed, a new file):
    ``changed`` and ``changes`` are then those of its committed history (its file time
    and 0 when it has none), so discarding the edit never takes a revision back."""


def revisions(root: Path, paths: Iterable[str]) -> dict[str, Revision]:
    """``{path: Revision}`` for each of ``paths`` (relative, POSIX) that exists.

    One walk of the history from HEAD, diffing each commit against its first parent (a
    merge counts for what it brought into this branch). ``changed`` is the newest such
    commit's time (UTC). A file that differs from HEAD is marked not ``committed`` and
    keeps its committed revision (its modification time when it has no history); in a
    folder that is no git repository every file is its own first revision, at its
    modification time. An export never depends on the clock.
    """
    from datetime import UTC

    from dulwich.objects import Blob

    wanted = {p.encode("utf-8", "surrogateescape"): p for p in set(paths)}
    newest, counts, head_blobs = _path_history(root, set(wanted)) if wanted else ({}, {}, {})
    history = has_history(root)
    out: dict[str, Revision] = {}
    for raw, rel in wanted.items():
        full = root / rel
        try:
            data = full.read_bytes()
            mtime = int(full.stat().st_mtime)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue
        count = counts.get(raw, 0)
        if not history:
            out[rel] = Revision(datetime.fromtimestamp(mtime, UTC), 1)
        elif raw in head_blobs and Blob.from_string(data).id == head_blobs[raw]:
            out[rel] = Revision(datetime.fromtimestamp(newest[raw], UTC), count)
        else:
            at = newest.get(raw, mtime)
            out[rel] = Revision(datetime.fromtimestamp(at, UTC), count, committed=False)
    return out


def has_history(root: Path) -> bool:
    """Whether ``root`` is a git repository with at least one commit."""
    return is_repo(root) and head(root) is not None


def read_at_head(root: Path, paths: Iterable[str]) -> dict[str, bytes]:
    """The committed bytes (at HEAD) of each of ``paths`` that HEAD has."""
    from dulwich.object_store import tree_lookup_path

    repo = _open(root)
    try:
        try:
            tree = repo[repo.head()].tree  # type: ignore[attr-defined]
        except KeyError:
            return {}
        store = repo.object_store
        out = {}
        for rel in paths:
            try:
                _, sha = tree_lookup_path(
                    store.__getitem__, tree, rel.encode("utf-8", "surrogateescape")
                )
            except KeyError:
                continue
            out[rel] = store[sha].as_raw_string()
        return out
    finally:
        repo.close()


def _path_history(
    root: Path, wanted: set[bytes]
) -> tuple[dict[bytes, int], dict[bytes, int], dict[bytes, bytes]]:
    """``(newest commit time, commit count, blob at HEAD)`` per wanted path, in one walk."""
    from dulwich.diff_tree import tree_changes
    from dulwich.object_store import iter_tree_contents

    newest: dict[bytes, int] = {}
    counts: dict[bytes, int] = {}
    head_blobs: dict[bytes, bytes] = {}
    if not is_repo(root):
        return newest, counts, head_blobs
    repo = _open(root)
    try:
        try:
            start = repo.head()
        except KeyError:
            return newest, counts, head_blobs
        store = repo.object_store
        for entry in repo.get_walker(include=[start]):
            commit = entry.commit
            parent = store[commit.parents[0]].tree if commit.parents else None  # type: ignore[attr-defined]
            touched = {
                side.path
                for change in tree_changes(store, parent, commit.tree)
                for side in (change.old, change.new)
                if side is not None and side.path in wanted
            }
            for path in touched:
                counts[path] = counts.get(path, 0) + 1
                newest[path] = max(newest.get(path, 0), commit.commit_time)
        tree = store[start].tree  # type: ignore[attr-defined]
        for item in iter_tree_contents(store, tree):  # one walk, not a lookup per path
            if item.path in wanted:
                head_blobs[item.path] = item.sha
    finally:
        repo.close()
    return newest, counts, head_blobs


# --- who changed a file on one side of a merge ------------------------------------------


def last_change(
    root: Path,
    head: str,
    exclude: Iterable[str],
    path: str,
    changed: Callable[[bytes | None, bytes | None], bool],
) -> CommitInfo | None:
    """The newest commit reachable from ``head`` but not from ``exclude`` (a merge base)
    whose change to ``path`` (against its first parent) passes ``changed(old, new)``
    (the file's bytes, ``None`` when absent): who made one side of a merge. A merge
    brings the other side's change in, so merges count for what they changed too."""
    from dulwich.object_store import tree_lookup_path

    repo = _open(root)
    try:
        store = repo.object_store
        raw = path.encode("utf-8", "surrogateescape")

        def blob(tree: bytes | None) -> bytes | None:
            if tree is None:
                return None
            try:
                _, sha = tree_lookup_path(store.__getitem__, _oid(tree), raw)
            except KeyError:
                return None
            return sha

        walker = repo.get_walker(
            include=[_oid(head.encode())], exclude=[_oid(e.encode()) for e in exclude], order="topo"
        )
        for entry in walker:
            commit = entry.commit
            parent = store[commit.parents[0]].tree if commit.parents else None  # type: ignore[attr-defined]
            old, new = blob(parent), blob(commit.tree)
            if old == new:
                continue
            before = store[_oid(old)].as_raw_string() if old else None
            after = store[_oid(new)].as_raw_string() if new else None
            if changed(before, after):
                return _info(commit)
        return None
    finally:
        repo.close()


# --- reading a pushed range (tcrm verify) ------------------------------------------------
# git runs a pre-receive hook with the pushed objects in a quarantine directory
# (GIT_OBJECT_DIRECTORY, the repository's own objects as an alternate); dulwich does not
# read those variables, so the quarantine is overlaid on the repository's object store.


@dataclass(frozen=True)
class RangeCommit:
    """A commit of the range: who made it, its parents, and what signature it carries."""

    id: str
    parents: tuple[str, ...]
    author: str
    email: str
    payload: bytes
    """The bytes a signature covers (the commit without its ``gpgsig`` header)."""
    signature: bytes | None


class Repository:
    """A git repository (bare or not) opened for reading commits, trees and blobs."""

    def __init__(self, path: Path) -> None:
        from dulwich.errors import NotGitRepository
        from dulwich.object_store import DiskObjectStore, OverlayObjectStore
        from dulwich.repo import Repo

        try:
            self._repo = Repo(str(path))
        except (NotGitRepository, OSError) as exc:
            raise GitError(f"{path} is not a git repository ({exc})") from None
        store: Any = self._repo.object_store
        quarantine = os.environ.get("GIT_QUARANTINE_PATH") or os.environ.get("GIT_OBJECT_DIRECTORY")
        if quarantine and Path(quarantine).is_dir():
            store = OverlayObjectStore([DiskObjectStore(quarantine), store])
        self._store = store

    def close(self) -> None:
        self._repo.close()

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def resolve(self, rev: str) -> str | None:
        """A commit id for ``rev`` (an id, a branch, a tag, ``HEAD``); None for the all-zero
        id git gives for a branch that does not exist yet."""
        if rev == ZERO:
            return None
        raw = rev.encode()
        candidates = [raw, b"refs/heads/" + raw, b"refs/tags/" + raw, b"refs/remotes/" + raw]
        for name in candidates:
            try:
                sha = self._repo.refs[_ref(name)]
            except (KeyError, ValueError):
                continue
            return self._peel(sha)
        if len(rev) == 40 and all(c in "0123456789abcdef" for c in rev):
            return self._peel(raw)
        from dulwich.objectspec import parse_commit

        try:  # HEAD~2, main^, a short id
            return parse_commit(self._repo, raw).id.decode()
        except (KeyError, ValueError):
            pass
        raise UsageError(f"{rev!r} names no commit of this repository")

    def _peel(self, sha: bytes) -> str:
        from dulwich.objects import Commit, Tag

        try:
            obj = self._store[sha]
            while isinstance(obj, Tag):
                obj = self._store[obj.object[1]]
        except KeyError:
            raise UsageError(f"{sha.decode()} is not in this repository") from None
        if not isinstance(obj, Commit):
            raise UsageError(f"{sha.decode()} is not a commit")
        return obj.id.decode()

    def head(self) -> str | None:
        """The commit the repository's HEAD names, or None (an empty repository)."""
        try:
            return self._peel(self._repo.refs[_ref(b"HEAD")])
        except (KeyError, UsageError):
            return None

    def branch_heads(self) -> list[str]:
        """Every branch and tag tip: what a new branch's push is compared with."""
        out = []
        for name, sha in self._repo.refs.as_dict().items():
            if name.startswith((b"refs/heads/", b"refs/tags/")):
                try:
                    out.append(self._peel(sha))
                except UsageError:
                    continue
        return out

    def walk(self, new: str, exclude: list[str]) -> list[RangeCommit]:
        """Commits reachable from ``new`` and from none of ``exclude``, parents first."""
        from dulwich.walk import Walker

        walker = Walker(
            self._store,
            include=[_oid(new.encode())],
            exclude=[_oid(e.encode()) for e in exclude] or None,
            order="topo",
        )
        commits = [_range_commit(entry.commit) for entry in walker]
        commits.reverse()
        return commits

    def commit(self, commit_id: str) -> RangeCommit:
        return _range_commit(self._store[commit_id.encode()])

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        from dulwich.graph import can_fast_forward
        from dulwich.repo import ParentsProvider

        store = self._store

        class _Quarantined:  # the repository as can_fast_forward reads it, quarantine included
            object_store = store

            def parents_provider(self) -> ParentsProvider:
                return ParentsProvider(store)

        quarantined = cast("BaseRepo", _Quarantined())  # duck-typed: what it reads
        return bool(
            can_fast_forward(quarantined, _oid(ancestor.encode()), _oid(descendant.encode()))
        )

    def files(self, commit_id: str | None) -> dict[str, str]:
        """``{path: blob id}`` of a commit's regular files (links and submodules left out:
        a record is never a link)."""
        import stat

        from dulwich.object_store import iter_tree_contents

        if commit_id is None:
            return {}
        tree = self._store[commit_id.encode()].tree
        return {
            entry.path.decode("utf-8", "surrogateescape"): entry.sha.decode()
            for entry in iter_tree_contents(self._store, tree)
            if entry.path is not None
            and entry.sha is not None
            and entry.mode is not None
            and stat.S_ISREG(entry.mode)
        }

    def links(self, commit_id: str) -> list[str]:
        """Paths a commit keeps as something other than a regular file (a symbolic link)."""
        import stat

        from dulwich.object_store import iter_tree_contents

        tree = self._store[commit_id.encode()].tree
        return sorted(
            entry.path.decode("utf-8", "surrogateescape")
            for entry in iter_tree_contents(self._store, tree)
            if entry.path is not None and entry.mode is not None and not stat.S_ISREG(entry.mode)
        )

    def blob(self, blob_id: str) -> bytes:
        data: bytes = self._store[blob_id.encode()].as_raw_string()
        return data

    def blobs(self, files: dict[str, str], paths: list[str]) -> Iterator[tuple[str, bytes]]:
        for path in paths:
            yield path, self.blob(files[path])


def _range_commit(commit: Any) -> RangeCommit:
    raw = commit.author.decode("utf-8", "replace")
    name, _, email = raw.partition(" <")
    payload, signature, _kind = commit.extract_signature()
    return RangeCommit(
        id=commit.id.decode(),
        parents=tuple(p.decode() for p in commit.parents),
        author=name,
        email=email.rstrip(">"),
        payload=payload,
        signature=signature,
    )


def past_versions(root: Path, rel: str, limit: int = 500) -> list[bytes]:
    """The committed versions of one file, newest first (at most ``limit``), through the
    ``git`` CLI (its path-limited log walks a long history in C); without a usable
    ``git``, only the version at HEAD."""
    import shutil
    import subprocess

    if not is_repo(root) or head(root) is None:
        return []
    if shutil.which("git") is None:
        return list(read_at_head(root, [rel]).values())
    base = ["git", "-C", str(root), "-c", "core.quotepath=off"]
    try:
        listed = subprocess.run(
            [*base, "log", f"-n{limit}", "--format=%H", "--no-renames", "HEAD", "--", rel],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.split()
        if not listed:
            return []
        wanted = b"".join(sha + b":" + rel.encode() + b"\n" for sha in listed)
        batch = subprocess.run(
            [*base, "cat-file", "--batch"], input=wanted, capture_output=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return list(read_at_head(root, [rel]).values())
    out: list[bytes] = []
    at = 0
    while at < len(batch):
        end = batch.index(b"\n", at)
        header = batch[at:end].split()
        at = end + 1
        if len(header) != 3:  # "<name> missing": deleted in that commit
            continue
        size = int(header[2])
        out.append(batch[at : at + size])
        at += size + 1
    return out
