"""Handing a message to an SMTP server (stdlib ``smtplib``) or a sendmail-like command.

``send`` returns only when the server (or the command, by exiting 0) has accepted the
message for every recipient; anything else raises ``MailTransportError`` with one line, so
a caller files a sent message only after it was really taken.
"""

from __future__ import annotations

import shlex
import smtplib
import ssl
import subprocess
from collections.abc import Callable
from email.message import EmailMessage

from tcrm.mail.accounts import MailTransportError, ServerUrl, plain_refusal
from tcrm.mail.imap import tls_said
from tcrm.model.text import visible

TIMEOUT = 30.0
COMMAND_TIMEOUT = 120


def _said(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return visible(f"{exc.smtp_code} {' '.join(text.split())}"[:200])
    return visible(" ".join(str(exc).split())[:200] or type(exc).__name__)


def send(url: ServerUrl, message: EmailMessage, secret: Callable[[], str]) -> list[str]:
    """Deliver ``message`` through ``url``; ``secret`` is asked for the password only when
    the URL names a user (a local relay or msmtp needs none from us).

    Returns the recipients the server refused while it took the message for the others
    (``jo@x.com: 550 no such user``); raises when nobody got it."""
    if url.scheme == "sendmail":
        _command(url, message)
        return []
    return _smtp(url, message, secret)


def _command(url: ServerUrl, message: EmailMessage) -> None:
    assert url.command is not None
    try:
        argv = shlex.split(url.command)
    except ValueError as exc:
        raise MailTransportError(f"sendmail command {url.command!r}: {exc}") from None
    try:
        result = subprocess.run(
            argv,
            input=message.as_bytes(),
            capture_output=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MailTransportError(f"sendmail command {argv[0]!r} failed: {_said(exc)}") from None
    if result.returncode != 0:
        said = result.stderr.decode("utf-8", "replace").strip().splitlines()
        why = f": {visible(said[0][:200])}" if said else ""
        raise MailTransportError(
            f"sendmail command {argv[0]!r} exited with {result.returncode}{why}; not sent"
        )


def _connect(url: ServerUrl) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if url.tls:
        return smtplib.SMTP_SSL(url.host, url.port, timeout=TIMEOUT, context=context)
    conn = smtplib.SMTP(url.host, url.port, timeout=TIMEOUT)
    try:
        conn.ehlo()
        if conn.has_extn("starttls"):
            conn.starttls(context=context)
            conn.ehlo()
        else:
            sock = conn.sock
            refusal = plain_refusal(url, sock.getpeername()[0] if sock else "")
            if refusal:
                raise MailTransportError(refusal)
    except BaseException:
        conn.close()
        raise
    return conn


def _smtp(url: ServerUrl, message: EmailMessage, secret: Callable[[], str]) -> list[str]:
    where = url.where()
    try:
        conn = _connect(url)
    except ssl.SSLError as exc:
        raise MailTransportError(f"TLS with {where} failed: {tls_said(exc)}") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise MailTransportError(f"cannot reach {where}: {_said(exc)}") from None
    try:
        if url.user:
            conn.login(url.user, secret())
        refused = conn.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailTransportError(
            f"{where} refused the login of {visible(url.user or '')!r} (wrong password?): "
            f"{_said(exc)}; not sent"
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        first, (code, text) = next(iter(exc.recipients.items()))
        reason = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        raise MailTransportError(
            f"{where} refused the recipient {visible(first)!r}: {code} {visible(reason[:200])}; "
            "not sent"
        ) from None
    except smtplib.SMTPException as exc:
        raise MailTransportError(f"{where} did not take the message: {_said(exc)}") from None
    except OSError as exc:
        raise MailTransportError(f"{where}: connection lost: {_said(exc)}; not sent") from None
    finally:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()
    return [
        visible(f"{who}: {code} {text.decode('utf-8', 'replace')[:200]}")
        for who, (code, text) in refused.items()
    ]
