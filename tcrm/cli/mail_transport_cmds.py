"""``tcrm mail account|sync|send|campaign``: mail accounts, IMAP sync, sending, campaigns.

Added to the ``mail`` group of ``mail_cmds`` through its ``register_mail`` hook.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tcrm.cli import completion, render
from tcrm.cli.error_words import error_text
from tcrm.cli.state import now as cli_now
from tcrm.cli.state import workspace
from tcrm.cli.terminal import err
from tcrm.errors import TcrmError, UsageError

if TYPE_CHECKING:
    from tcrm.services.mail_sync import SyncResult

account_app = typer.Typer(
    name="account",
    help="Mail accounts of this machine (kept outside the workspace, never a password).",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON (see docs/mail.md).")]
AccountOption = Annotated[
    str | None,
    typer.Option("--account", help="The mail account (default: the only one).", metavar="NAME"),
]


@account_app.command("add")
def account_add(
    name: Annotated[
        str, typer.Argument(help="A short name: work, personal...", show_default=False)
    ],
    imap: Annotated[
        str | None,
        typer.Option(
            "--imap",
            help="imaps://user@host:993, or imap://user@host:143 (STARTTLS when offered; "
            "without it only to this machine).",
            metavar="URL",
        ),
    ] = None,
    smtp: Annotated[
        str | None,
        typer.Option(
            "--smtp",
            help="smtps://user@host:465, smtp://user@host:587 (STARTTLS), or "
            "'sendmail:msmtp -t' (a sendmail-compatible command).",
            metavar="URL",
        ),
    ] = None,
    password_command: Annotated[
        str | None,
        typer.Option(
            "--password-command",
            help="A shell command printing the password (e.g. 'pass show mail/work'); else "
            "$TCRM_MAIL_PASSWORD_<NAME>.",
            metavar="CMD",
        ),
    ] = None,
    folders: Annotated[
        str | None,
        typer.Option(
            "--folders", help="Folders to sync, comma-separated (default: INBOX).", metavar="LIST"
        ),
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            help="Your own address: mail from it is outgoing, mail sent is from it "
            "(default: the IMAP user, when it is an address).",
            metavar="EMAIL",
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace an account of that name.")
    ] = False,
) -> None:
    """Add a mail account to this machine's config (outside the workspace and git)."""
    from tcrm.mail import accounts

    account = accounts.make_account(
        name,
        imap=imap,
        smtp=smtp,
        password_command=password_command,
        folders=[f for f in folders.split(",") if f.strip()] if folders else None,
        address=address,
    )
    path = accounts.add_account(account, replace=replace)
    render.message(
        f"Saved mail account {account.name} in {path}; its password comes from "
        + (
            "the password command"
            if account.password_command
            else f"${account.password_env} (set it, or --password-command)"
        )
        + "."
    )


@account_app.command("list")
def account_list(as_json: AsJson = False) -> None:
    """List this machine's mail accounts."""
    from tcrm.mail import accounts

    found = accounts.load_accounts()
    if as_json:
        render.emit_json(
            [
                {"name": a.name, **a.to_data(), "password_env": a.password_env}
                for a in found.values()
            ]
        )
        return
    render.table(
        ["Name", "IMAP", "SMTP", "Address", "Folders", "Password"],
        [
            [
                a.name,
                a.imap or "",
                a.smtp or "",
                a.address or "",
                ", ".join(a.folders),
                "command" if a.password_command else f"${a.password_env}",
            ]
            for a in found.values()
        ],
    )


@account_app.command("rm")
def account_rm(
    name: Annotated[str, typer.Argument(help="The account's name.", show_default=False)],
) -> None:
    """Remove a mail account from this machine's config."""
    from tcrm.mail import accounts

    gone = accounts.remove_account(name)
    render.message(f"Removed mail account {gone.name}.")


def _sync_line(result: SyncResult) -> str | None:
    if not result.fetched:
        return None
    filing = result.filing
    parts = [f"{len(filing.filed)} activities filed"]
    if filing.duplicates:
        parts.append(f"{len(filing.duplicates)} filed before")
    if filing.surveys:
        parts.append(f"{len(filing.surveys)} survey answers")
    if filing.unmatched:
        parts.append(f"{len(filing.unmatched)} unmatched (tcrm mail unmatched)")
    reset = [f.folder for f in result.folders if f.reset]
    if reset:
        parts.append(f"re-read {', '.join(reset)} (its UIDVALIDITY changed)")
    noun = "message" if result.fetched == 1 else "messages"
    return f"{result.account}: {result.fetched} new {noun}: " + ", ".join(parts) + "."


def sync(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(
            help="The account (default: every account with --imap).", show_default=False
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """File the new mail of IMAP accounts into the clients' cards: one commit per run.

    Incremental (only what is new since the last sync of this clone) and cron-friendly:
    prints nothing when nothing is new. An unreachable server, a refused password or a
    TLS failure is one line and a non-zero exit, with nothing changed.
    """
    from tcrm.mail import accounts
    from tcrm.services.mail_sync import sync_account

    ws = workspace(ctx)
    if name is not None:
        chosen = [accounts.get_account(name, need="imap")]
    else:
        chosen = [a for a in accounts.load_accounts().values() if a.imap]
        if not chosen:
            raise UsageError("no mail account with --imap; add one with tcrm mail account add")
    failed = 0
    reports: list[dict[str, Any]] = []
    for account in chosen:
        try:
            result = sync_account(ws, account=account, now=cli_now(ctx))
        except TcrmError as exc:
            if len(chosen) == 1:
                raise
            failed += 1
            err.print(
                f"tcrm: error: account {account.name}: {error_text(exc, ctx.command)}",
                markup=False,
            )
            continue
        if as_json:
            reports.append(
                {
                    "account": account.name,
                    "folders": [
                        {"folder": f.folder, "new": f.fetched, "reset": f.reset}
                        for f in result.folders
                    ],
                    "filed": [a.id for a in result.filing.filed],
                    "duplicates": result.filing.duplicates,
                    "unmatched": [m.key for m in result.filing.unmatched],
                    "commit": result.filing.commit,
                }
            )
        elif (line := _sync_line(result)) is not None:
            render.message(line)
    if as_json:
        render.emit_json(reports)
    if failed:
        raise typer.Exit(1)


def _body(body_file: Path | None) -> str | None:
    if body_file is None:
        return None
    if str(body_file) == "-":
        return sys.stdin.read()
    try:
        return body_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--body-file {body_file}: {exc}") from None


def send(
    ctx: typer.Context,
    ref: Annotated[
        str,
        typer.Argument(
            help="Client, contact person or deal to write to (id, name or unique prefix).",
            autocompletion=completion.clients_and_deals,
            show_default=False,
        ),
    ],
    account_name: AccountOption = None,
    to: Annotated[
        list[str] | None,
        typer.Option(
            "--to",
            help="Send to this address instead of the primary contact (repeatable).",
            metavar="EMAIL",
        ),
    ] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="The subject.", metavar="TEXT")
    ] = None,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            help="A kb page to start from: kb/offer.md ({{client.name}} fields filled).",
            metavar="PAGE",
        ),
    ] = None,
    body_file: Annotated[
        Path | None,
        typer.Option(
            "--body-file", help="The body from this file (- for stdin); no editor.", metavar="FILE"
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the message; send and file nothing.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Send a message to a client and file it as an outgoing email activity.

    Without --body-file the message opens in $EDITOR, headers at the top (To, Cc,
    Subject), like git commit. It is filed only after the server accepted it.
    """
    from tcrm.mail import accounts
    from tcrm.mail.compose import draft_text, read_draft
    from tcrm.services import mail_send

    ws = workspace(ctx)
    account = accounts.get_account(account_name, need="smtp")
    draft = mail_send.prepare_draft(
        ws,
        account=account,
        ref=ref,
        to=to,
        subject=subject,
        template=template,
        body=_body(body_file),
    )
    if body_file is None:
        from tcrm.cli.editor import run_editor

        draft = read_draft(run_editor(draft_text(draft), "message.eml"))
    else:
        draft = read_draft(draft_text(draft))  # the same checks as an edited draft
    done = mail_send.deliver(ws, account=account, draft=draft, now=cli_now(ctx), dry_run=dry_run)
    message_id = str(done.message["Message-ID"]).strip("<>")
    if as_json:
        render.emit_json(
            {
                "message_id": message_id,
                "to": [a for _, a in draft.to],
                "subject": draft.subject,
                "sent": not dry_run,
                "refused": done.refused,
                "filed": [a.id for a in done.filing.filed] if done.filing else [],
                "commit": done.filing.commit if done.filing else None,
            }
        )
    elif dry_run:
        print(done.message.as_string(), end="")
    else:
        print(message_id)
    if dry_run:
        render.message("Dry run: nothing was sent.")
        return
    for refusal in done.refused:
        render.message(f"The server refused {refusal}.")
    filed = done.filing.filed if done.filing else []
    where = ", ".join(c for a in filed for c in a.clients)
    render.message(
        f"Sent to {', '.join(a for _, a in draft.to)}; "
        + (
            f"filed to {where}."
            if filed
            else "it matched no client, so it was not filed (tcrm mail unmatched)."
        )
    )


def campaign(
    ctx: typer.Context,
    where: Annotated[
        str,
        typer.Option(
            "--where", help='Which clients, as list filters: "tag:vip region:eu".', metavar="FILTER"
        ),
    ],
    template: Annotated[
        str,
        typer.Option(
            "--template",
            help="The kb page: kb/offer.md (a first line 'Subject: ...' is the subject).",
            metavar="PAGE",
        ),
    ],
    subject: Annotated[
        str | None, typer.Option("--subject", help="The subject (else the page's).", metavar="TEXT")
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="Name the campaign (default: a hash of template and filter).",
            metavar="NAME",
        ),
    ] = None,
    survey: Annotated[
        str | None,
        typer.Option(
            "--survey",
            help="Ask this question (placed at {{survey.question}}, else appended); "
            "replies with a score 0-10 are filed as survey answers.",
            metavar="QUESTION",
        ),
    ] = None,
    account_name: AccountOption = None,
    rate: Annotated[
        str,
        typer.Option(
            "--rate", help="At most this many messages: 30/min, 1/s, 500/h.", metavar="RATE"
        ),
    ] = "30/min",
    retry_uncertain: Annotated[
        bool,
        typer.Option(
            "--retry-uncertain",
            help="Send again the messages an interrupted run may or may not have sent.",
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List who would get what; send nothing.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Send a personal message to each client the filter selects (its primary contact).

    Skips clients tagged no-mail or without an address (listed). Resumable: run it again
    after an interruption and it sends only to those not yet sent. All messages sent are
    filed as activities in one commit at the end. With --survey, a reply filed later
    (mail import or sync) whose new text gives a score 0-10 is a survey answer too.
    """
    from tcrm.mail import accounts
    from tcrm.services.mail_campaign import parse_rate, run_campaign

    ws = workspace(ctx)
    try:
        terms = shlex.split(where)
    except ValueError as exc:
        raise UsageError(f"--where: {exc}") from None
    try:
        interval = parse_rate(rate)
    except ValueError as exc:
        raise UsageError(f"--rate {exc}") from None
    account = accounts.get_account(account_name, need="smtp")
    result = run_campaign(
        ws,
        account=account,
        where=terms,
        template=template,
        subject=subject,
        name=name,
        survey=survey,
        rate=interval,
        dry_run=dry_run,
        retry_uncertain=retry_uncertain,
        now=cli_now(ctx),
        on_sent=None if as_json else lambda p: render.message(f"sent to {p.client} <{p.address}>"),
    )
    if as_json:
        render.emit_json(
            {
                "campaign": result.id,
                "dry_run": dry_run,
                "sent": [
                    {"client": p.client, "to": p.address, "subject": p.draft.subject}
                    for p in result.sent
                ],
                "sent_before": result.done_before,
                "uncertain": result.uncertain,
                "skipped": [{"client": s.client, "reason": s.reason} for s in result.skipped],
                "refused": result.refused,
                "filed": [a.id for a in result.filing.filed] if result.filing else [],
                "commit": result.filing.commit if result.filing else None,
            }
        )
        return
    if dry_run:
        render.table(
            ["Client", "To", "Subject"],
            [[p.client, p.address, p.draft.subject] for p in result.sent],
        )
    for skipped in result.skipped:
        render.message(f"skipped {skipped.client}: {skipped.reason}")
    for client in result.uncertain:
        render.message(
            f"uncertain {client}: an interrupted run may have sent it; not sent again "
            "(--retry-uncertain sends it)"
        )
    verb = "would send" if dry_run else "sent"
    render.message(
        f"Campaign {result.id}: {verb} {len(result.sent)}, sent before {len(result.done_before)}, "
        f"skipped {len(result.skipped)}"
        + (f", uncertain {len(result.uncertain)}" if result.uncertain else "")
        + "."
    )


def register_mail(mail_app: typer.Typer) -> None:
    """Add these commands to ``tcrm mail`` (called by ``mail_cmds.register``)."""
    mail_app.add_typer(account_app, name="account")
    mail_app.command("sync")(sync)
    mail_app.command("send")(send)
    mail_app.command("campaign")(campaign)
