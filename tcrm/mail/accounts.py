"""Mail accounts: where a person's IMAP and SMTP servers are, kept on this machine only.

Accounts live in ``$XDG_CONFIG_HOME/tcrm/mail.yaml`` (``~/.config/tcrm/mail.yaml``), outside
every workspace and outside git: they belong to one person on one machine, not to the team.
The file never holds a password. A password comes, when a server asks for it, from
``$TCRM_MAIL_PASSWORD_<NAME>`` (the account name in capitals, ``-`` as ``_``) or from the
account's password command (``pass show mail/work``, ``secret-tool lookup ...``), run
through ``/bin/sh`` like mbsync's ``PassCmd`` and msmtp's ``passwordeval``.
"""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from tcrm.errors import Command, Field, Part, TcrmError, UsageError
from tcrm.model.text import visible
from tcrm.store import files

CONFIG_ENV = "XDG_CONFIG_HOME"
PASSWORD_ENV = "TCRM_MAIL_PASSWORD_"
"""The prefix of an account's password variable: ``TCRM_MAIL_PASSWORD_WORK`` for ``work``."""
DEFAULT_FOLDERS = ("INBOX",)
PORTS = {"imaps": 993, "imap": 143, "smtps": 465, "smtp": 587}
SCHEMES = {"imap": ("imaps", "imap"), "smtp": ("smtps", "smtp", "sendmail")}
PASSWORD_TIMEOUT = 60
"""Seconds a password command may take (a GPG agent may ask for a passphrase first)."""
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


class MailTransportError(TcrmError):
    """A mail server or command could not be reached, refused us, or broke the TLS rules.

    The message is one line; nothing was changed when it is raised."""


@dataclass(frozen=True)
class ServerUrl:
    """``imaps://ann@mail.example.com:993`` split up; ``sendmail:CMD`` keeps the command."""

    scheme: str
    host: str = ""
    port: int = 0
    user: str | None = None
    command: str | None = None

    @property
    def tls(self) -> bool:
        """TLS from the first byte (imaps, smtps); otherwise STARTTLS when offered."""
        return self.scheme in ("imaps", "smtps")

    def where(self) -> str:
        return self.command or f"{self.host}:{self.port}"


def parse_url(text: str, kind: str) -> ServerUrl:
    """A server URL of ``kind`` (``imap`` or ``smtp``), or a ``UsageError`` saying what is
    wrong with it. The user part may itself hold an ``@`` (``ann@example.com@host``)."""
    text = text.strip()
    schemes = SCHEMES[kind]
    example = "imaps://ann@mail.example.com:993" if kind == "imap" else "smtps://ann@host:465"
    scheme, colon, rest = text.partition(":")
    scheme = scheme.lower()
    if not colon or scheme not in schemes:
        raise UsageError(
            Field(kind),
            f" {visible(text)!r}: the URL must start with "
            f"{' or '.join(s + (':' if s == 'sendmail' else '://') for s in schemes)} "
            f"(e.g. {example})",
        )
    if scheme == "sendmail":
        if not rest.strip():
            raise UsageError("sendmail: needs a command, e.g. 'sendmail:msmtp -t'", field=kind)
        return ServerUrl(scheme, command=rest.strip())
    try:
        parts = urlsplit(text)
        port = parts.port or PORTS[scheme]
    except ValueError as exc:
        raise UsageError(Field(kind), f" {visible(text)!r}: {exc}") from None
    if not parts.hostname:
        raise UsageError(Field(kind), f" {visible(text)!r} names no host (e.g. {example})")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UsageError(Field(kind), f" {visible(text)!r}: give scheme://user@host:port, no path")
    if parts.password is not None:
        raise UsageError(
            "the URL holds a password; leave it out and use ",
            Field("password_command"),
            f" or ${PASSWORD_ENV}<NAME> (a password is never stored)",
            field=kind,
        )
    user = unquote(parts.username) if parts.username else None
    return ServerUrl(scheme, parts.hostname, port, user)


def is_loopback(address: str) -> bool:
    """Whether a connected peer's address is this machine (127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def plain_refusal(url: ServerUrl, peer: str) -> str | None:
    """Why talking to ``peer`` without TLS is refused, or ``None`` when it is allowed:
    only a server on this machine may see a password and mail in the clear."""
    if is_loopback(peer):
        return None
    return (
        f"{url.host}:{url.port} offers no STARTTLS and is not on this machine; "
        f"refusing to send the password and mail in the clear (use {url.scheme}s://)"
    )


@dataclass(frozen=True)
class Account:
    """One mail account: its servers, the folders synced, and the person's own address."""

    name: str
    imap: str | None = None
    smtp: str | None = None
    password_command: str | None = None
    folders: tuple[str, ...] = DEFAULT_FOLDERS
    address: str | None = None

    @property
    def imap_url(self) -> ServerUrl | None:
        return parse_url(self.imap, "imap") if self.imap else None

    @property
    def smtp_url(self) -> ServerUrl | None:
        return parse_url(self.smtp, "smtp") if self.smtp else None

    @property
    def password_env(self) -> str:
        return PASSWORD_ENV + self.name.upper().replace("-", "_")

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "imap": self.imap,
            "smtp": self.smtp,
            "address": self.address,
            "password_command": self.password_command,
            "folders": list(self.folders),
        }
        return {k: v for k, v in data.items() if v is not None}


def config_path() -> Path:
    base = os.environ.get(CONFIG_ENV) or str(Path.home() / ".config")
    return Path(base) / "tcrm" / "mail.yaml"


def _bad(path: Path, message: str) -> TcrmError:
    return UsageError(f"{path}: {message} (fix or remove the file; see docs/mail.md)")


def _account(path: Path, name: Any, data: Any) -> Account:
    if not isinstance(name, str) or not _NAME.match(name):
        raise _bad(path, f"account name {visible(str(name))!r} is not a short lower-case name")
    if not isinstance(data, dict):
        raise _bad(path, f"account {name!r} is not a mapping")
    texts = {}
    for key in ("imap", "smtp", "password_command", "address"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise _bad(path, f"account {name!r}: {key} is not text")
        texts[key] = value
    folders = data.get("folders", list(DEFAULT_FOLDERS))
    if not isinstance(folders, list) or not all(isinstance(f, str) and f for f in folders):
        raise _bad(path, f"account {name!r}: folders is not a list of folder names")
    try:
        return make_account(name, folders=folders, **texts)
    except UsageError as exc:
        raise _bad(path, f"account {name!r}: {exc}") from None


def load_accounts() -> dict[str, Account]:
    """Every account of this machine's config, by name (none when there is no file)."""
    path = config_path()
    try:
        text = files.read_limited(path, 1 << 20).decode("utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise _bad(path, f"cannot be read: {exc}") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise UsageError(f"{path}{line}: not valid YAML") from None
    if not isinstance(data, dict) or not isinstance(data.get("accounts", {}), dict):
        raise _bad(path, "expected 'accounts:' holding one mapping per account")
    return {n: _account(path, n, d) for n, d in (data.get("accounts") or {}).items()}


def _save(accounts: dict[str, Account]) -> Path:
    path = config_path()
    data = {"accounts": {name: accounts[name].to_data() for name in sorted(accounts)}}
    text = "# tcrm mail accounts (tcrm mail account add|rm); never holds a password\n"
    text += yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    files.atomic_write(path, text.encode("utf-8"), mode=0o600)
    return path


def make_account(
    name: str,
    *,
    imap: str | None = None,
    smtp: str | None = None,
    password_command: str | None = None,
    folders: list[str] | tuple[str, ...] | None = None,
    address: str | None = None,
) -> Account:
    """A checked account: valid name and URLs, folder names IMAP can carry, an address."""
    if not _NAME.match(name):
        raise UsageError(
            f"account name {visible(name)!r}: use lower-case letters, digits, - and _ (at most 40)"
        )
    imap_url = parse_url(imap, "imap") if imap else None
    if smtp:
        parse_url(smtp, "smtp")
    if not imap and not smtp:
        raise UsageError(
            "an account needs ", Field("imap"), " URL, ", Field("smtp"), " URL or both"
        )
    names = [f.strip() for f in (folders or DEFAULT_FOLDERS)]
    for folder in names:
        if not folder or not folder.isascii() or not folder.isprintable():
            raise UsageError(
                f"folder {visible(folder)!r}: give folder names as the server lists them, in "
                "printable ASCII (IMAP's modified UTF-7 for other letters)"
            )
    if address is None and imap_url and imap_url.user and _ADDRESS.match(imap_url.user):
        address = imap_url.user
    if address is not None and not _ADDRESS.match(address.strip()):
        raise UsageError(Field("address"), f" {visible(address)!r} is not an email address")
    command = password_command.strip() if password_command else None
    return Account(
        name,
        imap,
        smtp,
        command or None,
        tuple(dict.fromkeys(names)),
        address.strip().lower() if address else None,
    )


def add_account(account: Account, *, replace: bool = False) -> Path:
    """Save ``account`` in this machine's config; an existing name needs ``replace``."""
    accounts = load_accounts()
    if account.name in accounts and not replace:
        raise UsageError(
            f"account {account.name!r} exists; remove it first (tcrm mail account rm) or pass ",
            Field("replace"),
        )
    accounts[account.name] = account
    return _save(accounts)


def remove_account(name: str) -> Account:
    """Forget an account (its sync state in each workspace is simply no longer used)."""
    accounts = load_accounts()
    if name not in accounts:
        raise UsageError(f"no mail account {visible(name)!r}{_known(accounts)}")
    gone = accounts.pop(name)
    _save(accounts)
    return gone


def _known(accounts: dict[str, Account]) -> str:
    if not accounts:
        return " (none yet: tcrm mail account add)"
    return f" (accounts: {', '.join(sorted(accounts))})"


def get_account(name: str | None, *, need: str | None = None) -> Account:
    """The account named, or the only one there is when no name is given.

    ``need`` (``imap``/``smtp``) refuses an account without that server."""
    accounts = load_accounts()
    if name is None:
        usable = [a for a in accounts.values() if need is None or getattr(a, need)]
        if len(usable) != 1:
            what: tuple[Part, ...] = (" with ", Field(need)) if need else ()
            if not usable:
                raise UsageError("no mail account", *what, "; add one with tcrm mail account add")
            raise UsageError(
                "several mail accounts",
                *what,
                f" ({', '.join(a.name for a in usable)}); name one (",
                Field("account"),
                " NAME)",
            )
        return usable[0]
    if name not in accounts:
        raise UsageError(f"no mail account {visible(name)!r}{_known(accounts)}")
    account = accounts[name]
    if need and not getattr(account, need):
        raise UsageError(
            f"account {name!r} has no {need} server (",
            Command(f"tcrm mail account add {name} ", Field(need), " URL ", Field("replace")),
            ")",
        )
    return account


def password(account: Account) -> str:
    """The account's password: ``$TCRM_MAIL_PASSWORD_<NAME>``, else its password command's
    first line of output. Never cached or written anywhere."""
    from_env = os.environ.get(account.password_env)
    if from_env:
        return from_env
    if not account.password_command:
        raise MailTransportError(
            f"account {account.name!r} needs a password: set ${account.password_env} or "
            "give the account a ",
            Field("password_command"),
        )
    try:
        result = subprocess.run(
            ["/bin/sh", "-c", account.password_command],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=PASSWORD_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MailTransportError(
            f"account {account.name!r}: the password command failed: {exc}"
        ) from None
    if result.returncode != 0:
        said = result.stderr.decode("utf-8", "replace").strip().splitlines()
        why = f": {visible(said[0][:200])}" if said else ""
        raise MailTransportError(
            f"account {account.name!r}: the password command exited with {result.returncode}{why}"
        )
    lines = result.stdout.decode("utf-8", "replace").splitlines()
    if not lines or not lines[0]:
        raise MailTransportError(
            f"account {account.name!r}: the password command printed no password"
        )
    return lines[0]
