"""``tcrm mail sync``: file what is new in an account's IMAP folders, in one commit.

How far each folder was read (its UIDVALIDITY and the last UID fetched) is this clone's
local state, ``.tcrm/mail-sync.json``, never in git: each clone reads the mailbox for
itself, and filing is idempotent (activity ids come from the Message-ID), so two clones
syncing the same mailbox file each message once and merge to one activity. The state is
keyed by account and server, so pointing an account at another server starts afresh.

Order of the steps, for a sync killed at any point: fetch (nothing written), file (one
commit), then save the marks. Killed before the marks are saved, the next sync fetches
the same messages again and files nothing twice.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tcrm.errors import Command, Field, UsageError
from tcrm.mail import accounts as mail_accounts
from tcrm.mail.accounts import Account
from tcrm.mail.imap import FolderFetch, FolderMark, fetch_folders
from tcrm.mail.parse import MailMessage, parse_message
from tcrm.services.mail import FilingResult, file_messages
from tcrm.store.local_state import read_state, write_state
from tcrm.store.workspace import Workspace

SYNC_STATE = "mail-sync"


@dataclass(frozen=True)
class FolderReport:
    folder: str
    fetched: int
    reset: bool
    """Its UIDVALIDITY changed: read again from the start (filing skipped what it had)."""


@dataclass
class SyncResult:
    account: str
    folders: list[FolderReport] = field(default_factory=list)
    filing: FilingResult = field(default_factory=FilingResult)

    @property
    def fetched(self) -> int:
        return sum(f.fetched for f in self.folders)


def _server_key(account: Account) -> str:
    url = account.imap_url
    assert url is not None
    return f"{url.user or ''}@{url.host}:{url.port}"


def _marks(ws: Workspace, account: Account) -> dict[str, FolderMark | None]:
    saved = (read_state(ws, SYNC_STATE) or {}).get("accounts", {}).get(account.name, {})
    folders: dict[str, Any] = {}
    if isinstance(saved, dict) and saved.get("server") == _server_key(account):
        folders = saved.get("folders") or {}
    marks: dict[str, FolderMark | None] = {}
    for name in account.folders:
        entry: Any = folders.get(name) if isinstance(folders, dict) else None
        try:
            marks[name] = FolderMark(int(entry["uidvalidity"]), int(entry["last_uid"]))
        except (TypeError, KeyError, ValueError):
            marks[name] = None  # never read, or a damaged entry: read it all (idempotent)
    return marks


def _save_marks(ws: Workspace, account: Account, fetched: list[FolderFetch]) -> None:
    state = read_state(ws, SYNC_STATE) or {}
    all_accounts = copy.deepcopy(state.get("accounts"))
    if not isinstance(all_accounts, dict):
        all_accounts = {}
    entry = all_accounts.get(account.name)
    server = _server_key(account)
    if not isinstance(entry, dict) or entry.get("server") != server:
        entry = {"server": server, "folders": {}}
    folders = entry.setdefault("folders", {})
    for fetch in fetched:
        folders[fetch.folder] = {
            "uidvalidity": fetch.mark.uidvalidity,
            "last_uid": fetch.mark.last_uid,
        }
    all_accounts[account.name] = entry
    new_state = {"version": 1, "accounts": all_accounts}
    if new_state != state:
        write_state(ws, SYNC_STATE, new_state)


def sync_account(
    ws: Workspace,
    *,
    account: Account,
    now: datetime,
    secret: Callable[[Account], str] = mail_accounts.password,
) -> SyncResult:
    """Fetch the new mail of ``account``'s folders and file it (one commit, none when
    nothing new matched). Mail from the account's own address is filed as outgoing.

    A server that cannot be reached, refuses the password or fails TLS raises
    ``MailTransportError`` before anything is written."""
    url = account.imap_url
    if url is None:
        raise UsageError(
            f"account {account.name!r} has no IMAP server (",
            Command(
                f"tcrm mail account add {account.name} ", Field("imap"), " URL ", Field("replace")
            ),
            ")",
        )
    marks = _marks(ws, account)
    fetched = fetch_folders(url, secret(account), marks)
    result = SyncResult(account.name)
    messages: list[MailMessage] = []
    for fetch in fetched:
        result.folders.append(FolderReport(fetch.folder, len(fetch.messages), fetch.reset))
        messages.extend(parse_message(raw, fallback_date=now) for _, raw in fetch.messages)
    own = frozenset({account.address}) if account.address else frozenset()
    with ws.lock():
        if messages:
            result.filing = file_messages(
                ws, messages, now=now, source=f"imap {account.name}", own_addresses=own
            )
        _save_marks(ws, account, fetched)
    return result
