"""Opening the repository, who commits, its configuration and remotes, reading an object,
and what every commit (a record's, a merge's) shares: signing, dates, undoing the staging."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from tcrm.errors import GitError

if TYPE_CHECKING:
    from dulwich.objects import ObjectID
    from dulwich.refs import Ref
    from dulwich.repo import Repo


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


def _moment(when: datetime) -> tuple[float, int]:
    """``(timestamp, UTC offset in seconds)`` of an aware or naive datetime."""
    offset = when.utcoffset()
    return when.timestamp(), int(offset.total_seconds()) if offset else 0


def _stage(repo: Repo, rel_paths: list[str]) -> dict[str, Any]:
    """Stage ``rel_paths``; returns what the index held for them before (``None``: not
    there), for ``_unstage`` to put back if the commit fails."""
    index = repo.open_index()
    before: dict[str, Any] = {}
    for rel in rel_paths:
        try:
            before[rel] = index[rel.encode()]
        except KeyError:
            before[rel] = None
    repo.get_worktree().stage(rel_paths)
    return before


def _unstage(repo: Repo, entries: dict[str, Any]) -> None:
    """Put index entries back as they were, so a refused commit leaves nothing staged."""
    index = repo.open_index()
    for rel, entry in entries.items():
        if entry is not None:
            index[rel.encode()] = entry
        elif rel.encode() in index:
            del index[rel.encode()]
    index.write()


PACK_FROM = 256
"""From this many new blobs, one pack file instead of as many loose objects (imports)."""
_KINDS = {1: b"commit", 2: b"tree", 3: b"blob", 4: b"tag"}


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


def _config(config: Any, section: bytes, key: bytes) -> bytes | None:
    try:
        return config.get((section,), key)  # type: ignore[no-any-return]
    except KeyError:
        return None


def head(root: Path) -> str | None:
    """The current commit id, or None in a repository with no commit yet."""
    repo = _open(root)
    try:
        return repo.head().decode()
    except KeyError:
        return None
    finally:
        repo.close()


ZERO = "0" * 40


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
