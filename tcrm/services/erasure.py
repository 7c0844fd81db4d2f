"""Erasure on request (GDPR Art. 17): ``tcrm forget``, and a member's way back onto the
rewritten history (``tcrm sync --after-rewrite``).

What goes, per record kind (docs/access.md, "Erasure"):

- forgetting a **client**: its file, its deals, and the tasks and activities that are
  about it alone (no other client, no deal that stays) are deleted; other records lose
  their references to it and every mention of its terms;
- forgetting a **contact person** inside a client: the contact entry goes; deals, tasks
  and activities lose the name from ``contacts:``; every mention is replaced;
- everywhere (records, kb pages, other tracked text files): each name, email, phone,
  address or id of the person becomes ``(erased)``; a list item that is only that
  (an email in ``emails:``, an id in ``clients:``) is removed.

Then one commit makes the change and records an audit entry in ``audit/erasures.yaml``;
history is rewritten with ``git fast-export | git fast-import`` through the same scrub,
deleted files dropped from every commit, commit messages scrubbed; reflogs are expired
and unreachable objects pruned; the rewritten branch is pushed to the upstream remote
(only if nobody pushed since we last synced).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from tcrm.errors import (
    AmbiguousError,
    Command,
    Field,
    GitError,
    NotFoundError,
    RuleError,
    UsageError,
)
from tcrm.model.erasure import ERASED, Scrubber, Terms, subject_hash
from tcrm.model.records import Client, Contact
from tcrm.services.records import all_records, local_now
from tcrm.store import git, journal, rewrite, yamlio
from tcrm.store.index import INDEX_FILE
from tcrm.store.workspace import LOCAL_DIR, SETTINGS_FILE, Workspace

AUDIT_FILE = "audit/erasures.yaml"
TRAILER = "Tcrm-Erasure"
AFTER_REWRITE = Command("tcrm sync ", Field("after_rewrite"))
"""Moves a clone onto a remote's rewritten history (``sync_after_rewrite``)."""
_TITLES = re.compile(r"^(?:(?:dr|prof|mr|mrs|ms|mx|herr|frau|mme|m)\.?\s+)+", re.IGNORECASE)
_AUDIT_HEADER = (
    "# Erasures made with `tcrm forget` (docs/access.md, Erasure): that personal data was\n"
    "# erased, when, by whom and why, never what. Written by tcrm; do not edit.\n"
)


class RewrittenRemote(RuleError):
    """The remote's history was rewritten by an erasure this clone has not taken."""


@dataclass
class Place:
    """One file the erasure changes: ``delete`` or ``scrub``, and what it is."""

    path: str
    action: str
    what: str


@dataclass
class ErasurePlan:
    """What ``tcrm forget`` would do; ``writes`` are the new file contents (None: delete)."""

    kind: str
    """``client`` or ``contact``."""
    label: str
    key: str
    """The email or id the audit entry's salted hash is made from."""
    terms: Terms
    drop_ids: frozenset[str]
    places: list[Place] = field(default_factory=list)
    writes: dict[str, bytes | None] = field(default_factory=dict)

    @property
    def deleted(self) -> list[str]:
        return [p.path for p in self.places if p.action == "delete"]

    def scrubber(self) -> Scrubber:
        return Scrubber(self.terms, self.drop_ids)


@dataclass
class ErasureResult:
    plan: ErasurePlan
    entry: str
    commit: str | None
    rewritten: rewrite.Rewritten
    remote: str | None = None
    pushed: bool = False


# --- who --------------------------------------------------------------------------------


def _untitled(name: str) -> str:
    return _TITLES.sub("", name).strip()


def _contact_terms(contact: Contact) -> tuple[list[str], list[str]]:
    return [contact.name, _untitled(contact.name), *contact.emails], list(contact.phones)


def _same_person(contact: Contact, wanted: str) -> bool:
    return contact.name.casefold() == wanted or wanted in {e.casefold() for e in contact.emails}


def find_subject(ws: Workspace, ref: str) -> tuple[Client | None, list[tuple[Client, Contact]]]:
    """The client ``ref`` names exactly (id, name or email), else the contact people it
    names exactly (name or email) in any client. No prefixes: erasure is not a guess."""
    wanted = ref.strip().casefold()
    if not wanted:
        raise UsageError("empty person or client reference")
    clients = [c for c in all_records(ws, "client") if isinstance(c, Client)]
    whole = [
        c
        for c in clients
        if wanted in (c.id, c.name.casefold()) or wanted in {e.casefold() for e in c.emails}
    ]
    if len(whole) > 1:
        ids = ", ".join(sorted(c.id for c in whole))
        raise AmbiguousError(f"{ref!r} names {len(whole)} clients ({ids}); give the client's id")
    if whole:
        return whole[0], []
    people = [(c, p) for c in clients for p in c.contacts if _same_person(p, wanted)]
    owners = {c.id: c for c, _ in people}
    if len(owners) == 1:
        (owner,) = owners.values()
        if owner.type == "person":  # the contact entry of a person client is the client
            return owner, []
    if not people:
        raise NotFoundError(
            f"no client or contact person has the id, name or email {ref!r}; nothing was "
            "changed (see `tcrm client list`)"
        )
    return None, people


# --- the plan ---------------------------------------------------------------------------


def _load(text: str, path: str) -> Any:
    try:
        return yamlio.load_rt(text, path)
    except Exception:  # broken or hostile YAML: scrub it as text
        return None


def scrub_text(scrubber: Scrubber, path: str, text: str) -> str:
    """``text`` without the person: YAML mappings edited by structure (list items that are
    only the person go), then every remaining mention (comments too) replaced."""
    if not (scrubber.found(text) or any(i in text for i in scrubber.drop_ids)):
        return text
    if PurePosixPath(path).suffix in (".yaml", ".yml"):
        doc = _load(text, path)
        if isinstance(doc, dict):
            text = yamlio.dump_rt(scrubber.data(doc))
    return scrubber.text(text)


def _blob_editor(scrubber: Scrubber) -> rewrite.PathEdit:
    def edit(path: str, data: bytes) -> bytes:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return data
        new = scrub_text(scrubber, path, text)
        return data if new == text else new.encode("utf-8")

    return edit


def _message_editor(scrubber: Scrubber) -> rewrite.Edit:
    def edit(data: bytes) -> bytes:
        text = data.decode("utf-8", "replace")
        return scrubber.text(text).encode("utf-8") if scrubber.found(text) else data

    return edit


def _about_only(data: dict[str, Any], client_id: str, gone_deals: set[str]) -> bool:
    """A task or activity that is about the forgotten client alone."""
    clients = set(data.get("clients") or [])
    deals = set(data.get("deals") or [])
    if not (client_id in clients or deals & gone_deals):
        return False
    return clients <= {client_id} and deals <= gone_deals


def plan_erasure(ws: Workspace, ref: str) -> ErasurePlan:
    """Every file that holds the person's data today, and what happens to each."""
    client, people = find_subject(ws, ref)
    root = ws.root
    head = git.head(root)
    tree = git.tree_files(root, head) if head else {}
    texts = git.read_blobs(root, tree.values())
    files = {p: texts[b] for p, b in tree.items() if b in texts}
    words: list[str | None] = []
    phones: list[str | None] = []
    deleted: dict[str, str] = {}
    if client is not None:
        gone_deals = {
            d.id for d in all_records(ws, "deal") if getattr(d, "client", None) == client.id
        }
        deal_titles = [
            getattr(d, "title", None) for d in all_records(ws, "deal") if d.id in gone_deals
        ]
        words += [client.id, client.name, *client.emails, *sorted(gone_deals), *deal_titles]
        phones += client.phones
        if client.type == "person":
            words += [_untitled(client.name), client.address, client.website]
        for contact in client.contacts:
            more_words, more_phones = _contact_terms(contact)
            words += more_words
            phones += more_phones
        deleted[ws.rel(ws.path_of(client))] = "client"
        for path, data in files.items():
            top = path.split("/", 1)[0]
            if top == "deals" and path.endswith(".yaml"):
                if PurePosixPath(path).stem in gone_deals:
                    deleted[path] = "deal"
            elif top in ("tasks", "activities") and path.endswith(".yaml"):
                parsed = _parsed(data, path)
                if parsed is not None and _about_only(parsed, client.id, gone_deals):
                    deleted[path] = _what(path)
        drop_ids = frozenset({client.id, *gone_deals})
        plan = ErasurePlan("client", client.name, client.id, Terms.of(words, phones), drop_ids)
    else:
        for _, contact in people:
            more_words, more_phones = _contact_terms(contact)
            words += more_words
            phones += more_phones
        first = people[0][1]
        key = first.emails[0] if first.emails else first.name
        plan = ErasurePlan("contact", first.name, key, Terms.of(words, phones), frozenset())
    scrubber = plan.scrubber()
    for path in sorted(files):
        if path == AUDIT_FILE or path.startswith(f"{LOCAL_DIR}/"):
            continue
        if path in deleted:
            plan.places.append(Place(path, "delete", deleted[path]))
            plan.writes[path] = None
            continue
        try:
            text = files[path].decode("utf-8")
        except UnicodeDecodeError:
            continue
        new = scrub_text(scrubber, path, text)
        if new != text:
            plan.places.append(Place(path, "scrub", _what(path)))
            plan.writes[path] = new.encode("utf-8")
    return plan


def _parsed(data: bytes, path: str) -> dict[str, Any] | None:
    try:
        loaded = yamlio.load_fast(data, path)
    except Exception:
        return None
    return loaded if isinstance(loaded, dict) else None


def _what(path: str) -> str:
    top = path.split("/", 1)[0]
    return {
        "clients": "client",
        "deals": "deal",
        "tasks": "task",
        "activities": "activity",
        "kb": "kb page",
        SETTINGS_FILE: "settings",
    }.get(top, "file")


# --- apply ------------------------------------------------------------------------------


def _audit_text(current: bytes | None, entry: dict[str, Any], scrubber: Scrubber) -> bytes:
    """The audit log with ``entry`` appended (a log tcrm alone writes: plain data)."""
    data = _parsed(current, AUDIT_FILE) if current else None
    entries = data.get("erasures") if data else None
    entries = [*entries, entry] if isinstance(entries, list) else [entry]
    text = _AUDIT_HEADER + yamlio.dump_fast({"erasures": entries})
    return scrubber.text(text).encode("utf-8")


def _refuse_dirty(ws: Workspace) -> None:
    changed, _ = git.dirty(ws.root)
    changed = [p for p in changed if not p.startswith(f"{LOCAL_DIR}/")]
    if changed:
        raise RuleError(
            f"{changed[0]} has uncommitted changes; commit or discard them before erasing "
            "(nothing was changed)"
        )


def _upstream(ws: Workspace, branch: str) -> tuple[str, str] | None:
    """The remote the rewritten branch goes to: the branch's upstream, else ``origin``,
    else the only remote."""
    remote = git.get_config(ws.root, ("branch", branch), "remote")
    known = git.remotes(ws.root)
    if remote is None:
        remote = "origin" if "origin" in known or len(known) != 1 else next(iter(known))
    if remote not in known:
        return None
    return remote, known[remote]


def forget(
    ws: Workspace,
    *,
    ref: str,
    reason: str,
    now: datetime | None = None,
    timeout: float = git.DEFAULT_TIMEOUT,
) -> ErasureResult:
    """``tcrm forget REF --apply``: erase the person from the tree (one commit) and from
    every commit of history, log the erasure, push the rewritten branch."""
    reason = reason.strip()
    if not reason:
        raise UsageError(
            Field("reason"),
            " is required with ",
            Field("apply"),
            ": say why (e.g. 'request of 2026-11-20')",
        )
    root = ws.root
    with ws.lock():
        busy = git.in_progress(root)
        if busy is not None:
            raise GitError(busy)
        branch = git.current_branch(root)
        _refuse_dirty(ws)
        ours = git.head(root)
        upstream = _upstream(ws, branch)
        theirs: str | None = None
        if upstream is not None:
            heads = git.fetch(root, upstream[0], upstream[1], timeout=timeout)
            theirs = heads.get(branch)
            if theirs is not None and ours is not None and not git.is_ancestor(root, theirs, ours):
                raise RuleError(
                    f"{upstream[0]}/{branch} has changes this clone lacks; run `tcrm sync` "
                    "first, then forget (nothing was changed)"
                )
        plan = plan_erasure(ws, ref)
        scrubber = plan.scrubber()
        entry_id = f"er-{secrets.token_hex(4)}"
        salt = secrets.token_hex(16)
        who = git.identity(root)
        at = local_now(ws, now).replace(microsecond=0)
        entry = {
            "id": entry_id,
            "at": at.isoformat(),
            "by": who.email,
            "reason": scrubber.text(reason),
            "subject": subject_hash(salt, plan.key),
            "salt": salt,
            "deleted": len(plan.deleted),
            "scrubbed": len(plan.places) - len(plan.deleted),
        }
        current = (root / AUDIT_FILE).read_bytes() if (root / AUDIT_FILE).is_file() else None
        writes = {**plan.writes, AUDIT_FILE: _audit_text(current, entry, scrubber)}
        message = (
            f"forget: erase personal data ({entry_id})\n\n"
            f"{len(plan.deleted)} file(s) deleted, "
            f"{len(plan.places) - len(plan.deleted)} scrubbed; history rewritten.\n\n"
            f"{TRAILER}: {entry_id}\n"
        )
        commit = journal.apply(root, ws.ensure_local_dir(), journal.Change(message, writes, at))
        done = rewrite.rewrite_history(
            root,
            blob=_blob_editor(scrubber),
            message=_message_editor(scrubber),
            drop=plan.deleted,
        )
        rewrite.reset_index(root)
        commit = git.head(root) or commit
        result = ErasureResult(plan, entry_id, commit, done)
        if upstream is not None:
            result.remote = upstream[0]
            git.push(root, upstream[0], upstream[1], branch, theirs, timeout)
            result.pushed = True
        rewrite.prune(root)
        _drop_index(ws)
    return result


def _drop_index(ws: Workspace) -> None:
    """The local search index holds record text: build it again from the scrubbed files."""
    ws.forget_index()
    for suffix in ("", "-wal", "-shm", "-journal"):
        (ws.local_dir / f"{INDEX_FILE}{suffix}").unlink(missing_ok=True)


# --- members: detecting and taking a rewritten remote -----------------------------------


def erasure_ids(ws: Workspace, commit: str | None) -> set[str]:
    """The ids of the erasures logged in ``audit/erasures.yaml`` at ``commit``."""
    if commit is None:
        return set()
    blob = git.tree_files(ws.root, commit).get(AUDIT_FILE)
    if blob is None:
        return set()
    data = _parsed(git.read_blobs(ws.root, [blob])[blob], AUDIT_FILE) or {}
    entries = data.get("erasures")
    if not isinstance(entries, list):
        return set()
    return {str(e["id"]) for e in entries if isinstance(e, dict) and "id" in e}


def refuse_rewritten(ws: Workspace, ours: str, theirs: str, remote: str, branch: str) -> None:
    """Raise ``RewrittenRemote`` when ``theirs`` carries an erasure ``ours`` lacks: a merge
    would bring the erased history back."""
    new = sorted(erasure_ids(ws, theirs) - erasure_ids(ws, ours))
    if new:
        raise RewrittenRemote(
            f"{remote}/{branch} was rewritten to erase personal data ({', '.join(new)}); "
            "nothing was merged: run `",
            AFTER_REWRITE,
            "` (keeps your unpushed changes that do not touch erased data) or clone the "
            "workspace again",
        )


@dataclass
class AfterRewrite:
    remote: str
    branch: str
    erasures: list[str]
    kept: list[str]
    commit: str | None
    pushed: bool = False


def after_rewrite(
    ws: Workspace,
    *,
    remote: str = "origin",
    timeout: float = git.DEFAULT_TIMEOUT,
) -> AfterRewrite:
    """``tcrm sync --after-rewrite``: move this clone onto the remote's rewritten history,
    carrying over the files changed here since the last sync, unless one of them was also
    changed by the rewrite (or by a teammate since) or refers to a record that is gone:
    then nothing changes and the paths are named. Old objects are pruned afterwards."""
    root = ws.root
    with ws.lock():
        known = git.remotes(root)
        if remote not in known:
            raise UsageError(f"no remote {remote!r}; add one with `tcrm remote add {remote} URL`")
        busy = git.in_progress(root)
        if busy is not None:
            raise GitError(busy)
        branch = git.current_branch(root)
        _refuse_dirty(ws)
        ours = git.head(root)
        heads = git.fetch(root, remote, known[remote], update_refs=False, timeout=timeout)
        theirs = heads.get(branch)
        if theirs is None or ours is None:
            raise UsageError(f"{remote} has no branch {branch}; nothing to take")
        new = sorted(erasure_ids(ws, theirs) - erasure_ids(ws, ours))
        if not new:
            raise UsageError(
                f"{remote}/{branch} carries no erasure this clone lacks; use `tcrm sync`"
            )
        last_seen = _last_shared(ws, ours, theirs)
        if last_seen is None:
            raise RuleError(
                f"no commit here is in the rewritten {remote}/{branch}, so the changes made "
                "here cannot be told apart; clone the workspace again (nothing was changed)"
            )
        old, mine, new_tree = (git.tree_files(root, c) for c in (last_seen, ours, theirs))
        local = sorted(p for p in set(old) | set(mine) if old.get(p) != mine.get(p))
        gone = {PurePosixPath(p).stem for p in old if p not in new_tree and p.endswith(".yaml")}
        blobs = git.read_blobs(root, [mine[p] for p in local if p in mine])
        for path in local:
            if old.get(path) != new_tree.get(path):
                raise RuleError(
                    f"{path} changed here and on the rewritten {remote}/{branch} (by the "
                    "erasure or a teammate); nothing was changed: clone the workspace again "
                    "and redo that change"
                )
            data = blobs.get(mine[path]) if path in mine else None
            if data is not None and _mentions(data, gone):
                raise RuleError(
                    f"{path} refers to a record the erasure removed; nothing was changed: "
                    "delete or edit that change, commit, and run `",
                    AFTER_REWRITE,
                    "`",
                )
        git.fetch(root, remote, known[remote], timeout=timeout)
        reset = sorted(p for p in set(mine) | set(new_tree) if mine.get(p) != new_tree.get(p))
        theirs_blobs = git.read_blobs(root, [new_tree[p] for p in reset if p in new_tree])
        writes = {p: theirs_blobs[new_tree[p]] if p in new_tree else None for p in reset}
        local_dir = ws.ensure_local_dir()
        journal.apply(
            root,
            local_dir,
            journal.Change(f"sync: take rewritten {theirs}", writes, fast_forward=theirs),
        )
        result = AfterRewrite(remote, branch, new, local, theirs)
        if local:
            kept = {p: blobs[mine[p]] if p in mine else None for p in local}
            result.commit = journal.apply(
                root,
                local_dir,
                journal.Change("sync: keep changes made before the rewrite", kept),
            )
            git.push(root, remote, known[remote], branch, theirs, timeout)
            result.pushed = True
        rewrite.prune(root)
        _drop_index(ws)
    return result


def _last_shared(ws: Workspace, ours: str, theirs: str) -> str | None:
    """The newest commit here whose rewritten copy is in ``theirs``: what this clone had
    synced before the rewrite.

    A rewrite keeps each commit's author, committer, dates and place in the history, not
    its id. The two histories are walked together from their first commit, and pair up
    until the first commit only one side has: matching by author and dates alone would
    take a commit made here for a synced one whenever both were made by the same person
    in the same second (a script, a quick teammate), and lose the changes made here.
    """
    mine = rewrite.commit_keys(ws.root, ours)[::-1]
    copies = rewrite.commit_keys(ws.root, theirs)[::-1]
    shared = None
    for (sha, key), (_, copy) in zip(mine, copies, strict=False):
        if key != copy:
            break
        shared = sha
    return shared


def _mentions(data: bytes, ids: set[str]) -> bool:
    parsed = _parsed(data, "")
    if parsed is None:
        return False
    refs: set[str] = set()
    for key in ("client", "clients", "deals"):
        value = parsed.get(key)
        refs.update(value if isinstance(value, list) else [value] if value else [])
    return bool({str(r) for r in refs} & ids)


__all__ = [
    "AUDIT_FILE",
    "ERASED",
    "AfterRewrite",
    "ErasurePlan",
    "ErasureResult",
    "RewrittenRemote",
    "after_rewrite",
    "erasure_ids",
    "find_subject",
    "forget",
    "plan_erasure",
    "refuse_rewritten",
]
