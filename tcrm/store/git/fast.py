"""Fast commits: patch the index and rewrite only the trees on the way to the changes,
so one record's commit costs the same in a workspace of 100 or 100,000 files."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tcrm.errors import GitError
from tcrm.store.git.repo import (
    PACK_FROM,
    Identity,
    _config,
    _moment,
    _oid,
    _read_object,
    _ref,
    _signs,
)
from tcrm.store.git.state import _take_warm

if TYPE_CHECKING:
    from dulwich.repo import Repo

    from tcrm.store.gitindex import IndexFile
    from tcrm.store.gittree import TreeEditor


FAST_COMMIT_ENV = "TCRM_FAST_COMMIT"
"""Set to ``0`` to commit through dulwich's general path (benchmarks compare both)."""
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
