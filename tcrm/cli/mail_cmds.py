"""``tcrm mail ...``: file client mail into the cards (import, unmatched, assign).

This module owns the ``mail`` group (``mail_app``). Other modules add their commands to
it without editing this one: each module named in ``MAIL_EXTENSIONS`` has a
``register_mail(mail_app: typer.Typer) -> None`` that adds its commands, called once
when ``tcrm mail`` is registered (e.g. ``mail_transport_cmds`` for
``mail account|sync|send|campaign``). A module listed there that does not exist yet is
skipped, so the list can name work still on its way.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated, Any

import typer

from tcrm.cli import completion, render
from tcrm.cli.state import now as cli_now
from tcrm.cli.state import workspace
from tcrm.errors import UsageError

mail_app = typer.Typer(
    name="mail",
    help="Client mail in the cards: import mbox/Maildir/.eml, list and assign unmatched mail.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

MAIL_EXTENSIONS: tuple[str, ...] = ("mail_transport_cmds",)
"""Modules of ``tcrm.cli`` that add commands to ``mail_app`` (see the module docstring)."""

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON (see docs/mail.md).")]


@mail_app.command("import")
def import_(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(help="A .eml file, an mbox file or a Maildir folder.", show_default=False),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be filed; change nothing.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """File the client mail of PATH into the clients' cards, in one commit.

    Each message matching a client (by the exact address of the client or a contact
    person, else by the company's own domain) becomes one email activity in its card.
    Importing again files nothing twice. Mail matching nobody is listed by
    `tcrm mail unmatched`.
    """
    from tcrm.mail.parse import read_messages
    from tcrm.services import mail as service

    ws = workspace(ctx)
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    try:
        messages = list(read_messages(path))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read mail: {exc}") from None
    result = service.file_messages(
        ws, messages, now=cli_now(ctx), dry_run=dry_run, source=path.name or str(path)
    )
    if as_json:
        render.emit_json(
            {
                "messages": result.messages,
                "filed": [render.record_json(a) for a in result.filed],
                "duplicates": result.duplicates,
                "surveys": [render.record_json(a) for a in result.surveys],
                "unmatched": [m.key for m in result.unmatched],
                "commit": result.commit,
                "dry_run": dry_run,
            }
        )
    else:
        rows = [
            [a.id, _arrow(a), a.at.strftime("%Y-%m-%d %H:%M"), ", ".join(a.clients), a.summary]
            for a in result.filed
        ]
        if rows:
            render.table(["Id", "Dir", "Date", "Client", "Subject"], rows)
    verb = "Would file" if dry_run else "Filed"
    for answer in result.surveys:
        render.message(f"survey answer {answer.id}: {', '.join(answer.clients)} {answer.score}/10")
    render.message(
        f"{verb} {len(result.filed)} activities from {result.messages} messages; "
        f"{len(result.duplicates)} filed before, {len(result.unmatched)} unmatched"
        + (" (see `tcrm mail unmatched`)" if result.unmatched else "")
        + (f"; {len(result.surveys)} survey answers" if result.surveys else "")
        + "."
    )


def _arrow(activity: Any) -> str:
    mail = getattr(activity, "mail", None)
    if mail is None:
        return ""
    return "→" if mail.direction == "out" else "←"


@mail_app.command("unmatched")
def unmatched(ctx: typer.Context, as_json: AsJson = False) -> None:
    """List mail that matched no client (kept in this clone only), newest first."""
    from tcrm.services import mail as service

    found = service.unmatched_messages(workspace(ctx))
    if as_json:
        render.emit_json(
            [
                {
                    "message_id": u.key,
                    "from": u.from_addr,
                    "subject": u.subject,
                    "date": u.date.isoformat(),
                    "addresses": list(u.addresses),
                    "source": u.source,
                }
                for u in found
            ]
        )
        return
    render.table(
        ["Message-ID", "Date", "From", "Subject"],
        [[u.key, u.date.strftime("%Y-%m-%d %H:%M"), u.from_addr, u.subject] for u in found],
    )


@mail_app.command("assign")
def assign(
    ctx: typer.Context,
    message: Annotated[
        str,
        typer.Argument(
            metavar="MSGID",
            help="Message-ID of an unmatched message (or its unique start).",
            show_default=False,
        ),
    ],
    client: Annotated[
        str,
        typer.Argument(
            metavar="CLIENT",
            help="Client id, name or unique prefix.",
            autocompletion=completion.clients,
            show_default=False,
        ),
    ],
    add_contact: Annotated[
        bool | None,
        typer.Option(
            "--add-contact/--no-add-contact",
            help="Add the sender's address as a contact person of the client "
            "(default: ask on a terminal, no otherwise).",
            show_default=False,
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="The new contact person's name.", metavar="NAME"),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """File an unmatched message to CLIENT, in one commit."""
    from tcrm.cli.terminal import is_tty
    from tcrm.services import mail as service

    ws = workspace(ctx)
    if add_contact is None:
        add_contact = is_tty() and typer.confirm(
            "Add the sender as a contact person of the client?", default=True
        )
    done = service.assign_message(
        ws,
        message=message,
        client=client,
        add_contact=bool(add_contact),
        contact_name=name,
        now=cli_now(ctx),
    )
    if as_json:
        render.emit_json(
            {
                "activity": render.record_json(done.activity),
                "contact": done.contact.model_dump(exclude_none=True) if done.contact else None,
                "commit": done.commit,
            }
        )
    else:
        print(done.activity.id)
    text = f"Filed {done.activity.id} to {', '.join(done.activity.clients)}"
    if done.contact is not None:
        text += f"; added contact {done.contact.name}"
    render.message(text + ".")


def register(app: typer.Typer) -> None:
    for name in MAIL_EXTENSIONS:
        try:
            module = importlib.import_module(f"tcrm.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tcrm.cli.{name}":
                raise
            continue
        module.register_mail(mail_app)
    app.add_typer(mail_app, name="mail")
