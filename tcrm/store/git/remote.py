"""Team sync's transport: credentials as git finds them, fetch, push and clone with a
deadline, and the errors a remote answers with."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tcrm.errors import Field, GitError, Part
from tcrm.store.git.repo import ZERO, _oid, _open, _ref

if TYPE_CHECKING:
    from dulwich.repo import Repo


class RemoteError(GitError):
    """A remote cannot be reached or refused the operation; nothing changed locally."""


class PushRejected(GitError):
    """The remote branch moved while we merged: fetch and merge again."""


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
    reason: tuple[Part, ...] = (" ".join(str(exc).split()) or type(exc).__name__,)
    if _timed_out(exc):
        reason = (f"no answer within {timeout:g} s (try ", Field("timeout"), " SECONDS)")
    if pushing:
        return RemoteError(f"cannot push to remote {name!r} ({url}): ", *reason)
    return RemoteError(
        f"cannot reach remote {name!r} ({url}): ", *reason, "; nothing was changed locally"
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
