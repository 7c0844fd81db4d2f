"""Automation hooks: scripts declared in ``tcrm.yaml`` that run on events.

A hook is code, and code never arrives by pull: a hook runs only once this clone's
person has read it and run ``tcrm hooks trust``, which stores the script's sha256 in
``.tcrm/hooks-trust.json`` (local, git-ignored). A script whose bytes differ from the
trusted hash is untrusted again (``changed``), as is one trusted nowhere yet.

After-events (``deal.won``...) are fired by the services once the change is committed
(and the workspace lock released, so a hook may itself run tcrm): a failure or timeout is
reported in ``ws.warnings`` and never undoes the change. ``before.*`` events run before
anything is written; a ``blocking`` hook's non-zero exit (or timeout) refuses the change
with its first line of stderr. Every hook gets the event and the records as JSON on stdin
(docs/hooks.md documents the shape) and runs in its own process group, which is killed
whole at its timeout.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from tcrm.errors import RuleError, UsageError
from tcrm.model.records import Record, Task
from tcrm.model.settings import Hook
from tcrm.model.text import visible
from tcrm.store import git, links
from tcrm.store.local_state import read_state, write_state
from tcrm.store.workspace import Workspace

TRUST_STATE = "hooks-trust"
OVERDUE_STATE = "hooks-overdue"
PAYLOAD_VERSION = 1
MAX_HOOK_BYTES = 1 << 20
"""A hook script larger than this is refused (it is read whole to hash it)."""
STDERR_BYTES = 4096

Status = Literal["trusted", "untrusted", "changed", "missing", "refused"]


@dataclass(frozen=True)
class HookState:
    """A declared hook and whether it may run here."""

    hook: Hook
    status: Status
    sha256: str | None = None
    problem: str | None = None
    """Why it is ``missing`` or ``refused`` (a link, a folder, too big)."""


@dataclass(frozen=True)
class HookRun:
    """What one hook did."""

    hook: Hook
    ok: bool
    code: int | None
    """Exit code; None when it could not start or was killed at its timeout."""
    message: str = ""


# --- trust -------------------------------------------------------------------------------


def _script(ws: Workspace, hook: Hook) -> tuple[bytes | None, str | None]:
    """The script's bytes, or why it cannot be read (never through a link)."""
    try:
        data = links.read_bytes(ws.root, hook.run, MAX_HOOK_BYTES)
    except links.LinkError as exc:
        return None, f"{exc.rel} is a symbolic link; tcrm runs no hook through a link"
    except FileNotFoundError:
        return None, "no such file"
    except (IsADirectoryError, NotADirectoryError):
        return None, "not a file"
    except OSError as exc:
        return None, exc.strerror or str(exc)
    if len(data) > MAX_HOOK_BYTES:
        return None, f"larger than {MAX_HOOK_BYTES} bytes"
    return data, None


def _trusted(ws: Workspace) -> dict[str, str]:
    state = read_state(ws, TRUST_STATE) or {}
    raw = state.get("trusted")
    if not isinstance(raw, dict):
        return {}
    return {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)}


def _state(ws: Workspace, hook: Hook, trusted: Mapping[str, str]) -> HookState:
    data, problem = _script(ws, hook)
    if data is None:
        status: Status = "missing" if problem == "no such file" else "refused"
        return HookState(hook, status, problem=problem)
    digest = hashlib.sha256(data).hexdigest()
    known = trusted.get(hook.run)
    if known == digest:
        return HookState(hook, "trusted", digest)
    return HookState(hook, "changed" if known else "untrusted", digest)


def hook_states(ws: Workspace) -> list[HookState]:
    """``tcrm hooks list``: every declared hook with trusted/untrusted/changed/missing."""
    trusted = _trusted(ws)
    return [_state(ws, hook, trusted) for hook in ws.settings.hooks]


def trust(ws: Workspace, *, paths: Sequence[str] = ()) -> list[HookState]:
    """``tcrm hooks trust [PATH...]``: trust the declared hooks' scripts as they are now
    (all of them, or those named), in this clone only. Returns the hooks trusted."""
    declared = {h.run for h in ws.settings.hooks}
    for path in paths:
        if path not in declared:
            known = ", ".join(sorted(declared)) or "none declared in tcrm.yaml hooks"
            raise UsageError(f"{path!r} is not a declared hook (hooks: {known})")
    with ws.lock():
        trusted = _trusted(ws)
        done: list[HookState] = []
        for hook in ws.settings.hooks:
            if paths and hook.run not in paths:
                continue
            state = _state(ws, hook, trusted)
            if state.sha256 is None:
                raise UsageError(f"hook {hook.run}: {state.problem}; nothing was trusted")
            trusted[hook.run] = state.sha256
            if all(d.hook.run != hook.run for d in done):
                done.append(HookState(hook, "trusted", state.sha256))
        write_state(ws, TRUST_STATE, {"trusted": trusted})
    return done


# --- the payload ---------------------------------------------------------------------------


def record_json(record: Record, before: Record | None = None) -> dict[str, Any]:
    """One entry of ``records``: kind, id, the file's data, and (for a change) the data
    before it."""
    entry: dict[str, Any] = {"kind": record.KIND, "id": record.id, "data": record.to_data(False)}
    if before is not None:
        entry["before"] = before.to_data(False)
    return entry


def payload(
    ws: Workspace,
    event: str,
    records: Sequence[Record],
    *,
    before: Mapping[str, Record] | None = None,
    commit: str | None = None,
) -> dict[str, Any]:
    """The JSON a hook reads on stdin (docs/hooks.md)."""
    olds = before or {}
    return {
        "version": PAYLOAD_VERSION,
        "event": event,
        "workspace": str(ws.root),
        "commit": commit,
        "records": [record_json(r, olds.get(r.id)) for r in records],
    }


# --- running -----------------------------------------------------------------------------


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return visible(line.strip())[:300]
    return ""


def _run(ws: Workspace, hook: Hook, sha256: str, data: bytes) -> HookRun:
    """Run one trusted hook with ``data`` on stdin, in its own process group."""
    script, problem = _script(ws, hook)
    if script is None or hashlib.sha256(script).hexdigest() != sha256:
        return HookRun(hook, False, None, problem or "changed while running; not run")
    path = ws.root / hook.run
    env = {**os.environ, "TCRM_WORKSPACE": str(ws.root), "TCRM_HOOK_EVENT": hook.on}
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stderr:
        stdin.write(data)
        stdin.seek(0)
        try:
            proc = subprocess.Popen(
                [str(path)],
                stdin=stdin,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                cwd=ws.root,
                env=env,
                start_new_session=True,
            )
        except PermissionError:
            return HookRun(hook, False, None, f"not executable; run `chmod +x {hook.run}`")
        except OSError as exc:
            return HookRun(hook, False, None, f"could not start: {exc.strerror or exc}")
        try:
            code = proc.wait(timeout=hook.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return HookRun(hook, False, None, f"timed out after {hook.timeout:g} s; killed")
        stderr.seek(0)
        said = _first_line(stderr.read(STDERR_BYTES).decode("utf-8", "replace"))
    if code != 0:
        return HookRun(hook, False, code, said or f"exit code {code}")
    return HookRun(hook, True, 0, said)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def _runnable(ws: Workspace, event: str) -> list[HookState]:
    """The hooks of ``event`` that may run; one warning for those that may not."""
    hooks = [h for h in ws.settings.hooks if h.on == event]
    if not hooks:
        return []
    trusted = _trusted(ws)
    states = [_state(ws, h, trusted) for h in hooks]
    for state in states:
        if state.status != "trusted":
            why = state.problem or state.status
            line = (
                f"hook {state.hook.run} ({event}) not run: {why}; read it, then run "
                "`tcrm hooks trust`"
                if state.status in ("untrusted", "changed")
                else f"hook {state.hook.run} ({event}) not run: {why}"
            )
            if line not in ws.warnings:
                ws.warnings.append(line)
    return [s for s in states if s.status == "trusted"]


def fire(
    ws: Workspace,
    event: str,
    records: Sequence[Record],
    *,
    before: Mapping[str, Record] | None = None,
) -> list[HookRun]:
    """Run the trusted hooks of an after-event; failures become warnings. Call it once
    the change is committed, outside the workspace lock."""
    if not records:
        return []
    states = _runnable(ws, event)
    if not states:
        return []
    data = json.dumps(
        payload(ws, event, records, before=before, commit=git.head(ws.root)), ensure_ascii=False
    ).encode("utf-8")
    runs = [_run(ws, s.hook, s.sha256 or "", data) for s in states]
    for done in runs:
        if not done.ok:
            ws.warnings.append(f"hook {done.hook.run} ({event}) failed: {done.message}")
    return runs


def check_before(
    ws: Workspace,
    event: str,
    records: Sequence[Record],
    *,
    before: Mapping[str, Record] | None = None,
) -> list[HookRun]:
    """Run the trusted hooks of ``before.EVENT`` before anything is written: a blocking
    hook that fails refuses the change (``RuleError`` with its first stderr line); a
    non-blocking one is only reported."""
    name = f"before.{event}"
    states = _runnable(ws, name)
    if not states:
        return []
    data = json.dumps(payload(ws, name, records, before=before), ensure_ascii=False).encode()
    runs = []
    for state in states:
        done = _run(ws, state.hook, state.sha256 or "", data)
        runs.append(done)
        if done.ok:
            continue
        if state.hook.blocking:
            raise RuleError(f"hook {state.hook.run} refused {event}: {done.message}")
        ws.warnings.append(f"hook {state.hook.run} ({name}) failed: {done.message}")
    return runs


# --- task.overdue --------------------------------------------------------------------------


def fire_overdue(ws: Workspace, tasks: Sequence[Task], today: date, now: datetime) -> list[Task]:
    """``task.overdue`` for the overdue ``tasks`` not yet fired for today in this clone
    (``.tcrm/hooks-overdue.json`` keeps, per task, the day it last fired). Returns the
    tasks it fired for."""
    if not tasks or not _runnable(ws, "task.overdue"):
        return []  # nothing would run: nothing is remembered as fired either
    with ws.lock():
        state = read_state(ws, OVERDUE_STATE) or {}
        raw = state.get("fired")
        fired = {k: v for k, v in (raw.items() if isinstance(raw, dict) else []) if v == str(today)}
        fresh = [t for t in tasks if fired.get(t.id) != str(today)]
        fired.update({t.id: str(today) for t in fresh})
        write_state(ws, OVERDUE_STATE, {"fired": fired, "at": now.isoformat()})
    fire(ws, "task.overdue", fresh)
    return fresh
