"""``tcrm client ...``: the companies and people we sell to."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import typer

from tcrm.cli import completion, render
from tcrm.cli.client_table import CLIENT_COLUMNS, RIGHT, client_rows, day
from tcrm.cli.editor import Assignments, CustomFields, edit_command
from tcrm.cli.state import now as cli_now
from tcrm.cli.state import workspace
from tcrm.cli.terminal import out
from tcrm.errors import UsageError
from tcrm.model.fields import FieldDef, shown_fields
from tcrm.model.money import money_text
from tcrm.model.records import Client, Deal
from tcrm.services import clients as service
from tcrm.services.conflicts import open_conflicts
from tcrm.services.mail_threads import arrow
from tcrm.services.query import HELP as FILTERS_HELP
from tcrm.services.surveys import Satisfaction

client_app = typer.Typer(
    name="client",
    help="Clients: the companies and people we sell to, with their contact people.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Ref = Annotated[
    str,
    typer.Argument(
        help="Client id, unique id prefix, name, or the unique start of a name.",
        metavar="REF",
        autocompletion=completion.clients,
        show_default=False,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON (see docs/json/clients.md).")]


@client_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="The client's name.", metavar="NAME", show_default=False)
    ],
    client_type: Annotated[
        str, typer.Option("--type", help="company or person.", metavar="TYPE")
    ] = "company",
    email: Annotated[
        list[str] | None,
        typer.Option("--email", help="An email address (repeatable).", metavar="EMAIL"),
    ] = None,
    phone: Annotated[
        list[str] | None,
        typer.Option("--phone", help="A phone number (repeatable).", metavar="PHONE"),
    ] = None,
    website: Annotated[str | None, typer.Option(help="The website.", metavar="URL")] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", help="A tag from lists.tags (repeatable).", metavar="TAG"),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Where it came from (lists.sources).", metavar="SOURCE")
    ] = None,
    owner: Annotated[
        str | None, typer.Option(help="The team member who owns it.", metavar="MEMBER")
    ] = None,
    status: Annotated[
        str | None, typer.Option(help="A status from lists.client_statuses.", metavar="STATUS")
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="A region from lists.regions.", metavar="REGION")
    ] = None,
    cadence: Annotated[
        str | None,
        typer.Option(help="Keep in touch at least every DAYS days.", metavar="DAYS"),
    ] = None,
    contact: Annotated[
        list[str] | None,
        typer.Option(
            "--contact",
            help='A contact person: "Jane Doe <jane@x.com>" or a name (repeatable).',
            metavar='"NAME <EMAIL>"',
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="Free-text notes.", metavar="TEXT")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Add even if it looks like an existing client.")
    ] = False,
    custom: CustomFields = None,
) -> None:
    """Add a client; prints its new id. Refuses a likely duplicate unless --force."""
    ws = workspace(ctx)
    client = service.add_client(
        ws,
        name=name,
        client_type=client_type,
        emails=email or [],
        phones=phone or [],
        website=website,
        tags=tag or [],
        source=source,
        owner=owner,
        status=status,
        region=region,
        cadence_days=cadence,
        contacts=contact or [],
        notes=note,
        force=force,
        now=cli_now(ctx),
        assignments=custom or [],
    )
    print(client.id)
    render.message(f"Added client {client.id} ({client.name}).")


@client_app.command("list", epilog="\n\n".join(f"\b\n{p}" for p in FILTERS_HELP.split("\n\n")))
def list_(
    ctx: typer.Context,
    filters: Annotated[
        list[str] | None,
        typer.Argument(
            help="Filter terms, e.g. tag:vip no:email (see below).",
            metavar="[FILTER]...",
            show_default=False,
        ),
    ] = None,
    tag: Annotated[
        str | None, typer.Option(help="Only clients with this tag.", metavar="TAG")
    ] = None,
    owner: Annotated[
        str | None, typer.Option(help="Only clients this member owns.", metavar="MEMBER")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Only clients from this source.", metavar="SOURCE")
    ] = None,
    status: Annotated[
        str | None, typer.Option(help="Only clients with this status.", metavar="STATUS")
    ] = None,
    search: Annotated[
        str | None,
        typer.Option(help="Only clients whose file mentions TEXT (any case).", metavar="TEXT"),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """List clients with their open deals, last contact and latest survey score.

    The NPS column is the latest score (0-10) of `tcrm survey log` with its trend
    (↑ up, ↓ down, = same); filter on it with nps:<7, nps:>=9 or nps:10.
    """
    ws = workspace(ctx)
    rows = service.list_clients(
        ws,
        tag=tag,
        owner=owner,
        source=source,
        status=status,
        search=search,
        filters=filters or [],
        now=cli_now(ctx),
    )
    if as_json:
        from tcrm.services.private import reveal

        rows = [row.with_client(reveal(ws, row.client)) for row in rows]
        render.emit_json([_summary_json(row) for row in rows])
        return
    render.table(
        [render.Column(h, "right") if h in RIGHT else h for h in CLIENT_COLUMNS],
        client_rows(rows, ws.settings.timezone),
    )


def _summary_json(row: service.ClientSummary[Client]) -> dict[str, Any]:
    return {
        **render.record_json(row.client),
        "open_deals": row.open_deals,
        "last_contact": _iso(row.last_contact),
        "contact_due": row.contact_due,
        "satisfaction": _satisfaction_json(row.satisfaction),
    }


def _satisfaction_json(found: Satisfaction | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "score": found.score,
        "previous": found.previous,
        "trend": found.trend,
        "at": _iso(found.at),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="minutes") if moment else None


@client_app.command("show")
def show(ctx: typer.Context, ref: Ref, as_json: AsJson = False) -> None:
    """Show the client card: contacts, deals, open tasks, latest activities."""
    ws = workspace(ctx)
    card = service.client_card(ws, ref=ref, now=cli_now(ctx))
    refs = [("client", card.client.id)]
    refs += [("deal", d.id) for d in (*card.open_deals, *card.closed_deals)]
    conflicts = open_conflicts(ws, refs)
    if as_json:
        render.emit_json(
            {**_card_json(card), "conflicts": [render.conflict_json(c) for c in conflicts]}
        )
        return
    _print_card(card, ws.settings.timezone, ws.settings.currency, ws.settings.fields.client)
    render.print_conflicts(conflicts)


def _card_json(card: service.ClientCard) -> dict[str, Any]:
    return {
        "client": render.record_json(card.client),
        "contacts": card.client.to_data().get("contacts", []),
        "deals": {
            "open": [render.record_json(d) for d in card.open_deals],
            "closed": [render.record_json(d) for d in card.closed_deals],
        },
        "tasks": [render.record_json(t) for t in card.tasks],
        "activities": [render.record_json(a) for a in card.activities],
        "last_contact": _iso(card.last_contact),
        "days_since_contact": card.days_since_contact,
        "contact_due": card.contact_due,
        "mail_threads": [
            {
                "thread": t.thread,
                "subject": t.subject,
                "last": _iso(t.last),
                "messages": [
                    {
                        "id": a.id,
                        "at": _iso(a.at),
                        "direction": a.mail.direction if a.mail else None,
                        "sender": a.mail.sender if a.mail else None,
                        "subject": a.summary,
                    }
                    for a in t.messages
                ],
            }
            for t in card.mail_threads
        ],
        "satisfaction": _satisfaction_json(card.satisfaction),
    }


def _line(label: str, value: Any) -> None:
    if value not in (None, "", []):
        out.print(f"{label + ':':<14}{value}", markup=False, highlight=False)


def _heading(text: str) -> None:
    out.print()
    out.print(text, style="bold", markup=False, highlight=False)


def _print_card(
    card: service.ClientCard, zone: str, currency: str, fields: Mapping[str, FieldDef]
) -> None:
    client = card.client
    out.print(f"{client.name} ({client.id})", style="bold", markup=False, highlight=False)
    for label, value in _details(client):
        _line(label, value)
    for label, text in shown_fields(client, fields):
        _line(label, text)
    contact = day(card.last_contact, zone) or "never"
    if card.days_since_contact is not None:
        contact += f" ({_ago(card.days_since_contact)})"
    if card.contact_due:
        contact += f" - due: keep in touch every {client.cadence_days} days"
    _line("Last contact", contact)
    found = card.satisfaction
    if found is not None:
        trend = "first answer" if found.previous is None else f"{found.trend} from {found.previous}"
        _line("Satisfaction", f"{found.score}/10 ({trend}, {day(found.at, zone)})")
    if client.notes:
        _heading("Notes")
        out.print(client.notes, markup=False, highlight=False)
    if client.contacts:
        _heading("Contacts")
        render.table(
            ["Name", "Role", "Emails", "Phones"],
            ([c.name, c.role, ", ".join(c.emails), ", ".join(c.phones)] for c in client.contacts),
        )
    for title, deals in (("Open deals", card.open_deals), ("Closed deals", card.closed_deals)):
        if deals:
            _heading(title)
            _deal_table(deals, currency)
    if card.tasks:
        _heading("Open tasks")
        render.table(
            ["Id", "Due", "Title", "Assignee"],
            ([t.id, _when(t.due), t.title, t.assignee] for t in card.tasks),
        )
    if card.activities:
        _heading("Latest activities")
        render.table(
            ["When", "Kind", "Summary", "Author"],
            (
                [_when(a.at), f"{a.kind} {arrow(a)}".strip(), a.summary, a.author]
                for a in card.activities
            ),
        )
    if card.mail_threads:
        _heading("Mail threads")
        render.table(
            ["When", "Dir", "From", "Subject"],
            (
                [_when(a.at), arrow(a), a.mail.sender if a.mail else "", _threaded(a, i)]
                for t in card.mail_threads
                for i, a in enumerate(t.messages)
            ),
        )


def _threaded(activity: Any, position: int) -> str:
    """A thread's first message by its subject; the others indented under it."""
    return activity.summary if position == 0 else f"  ↳ {activity.summary}"


def _details(client: Client) -> list[tuple[str, Any]]:
    return [
        ("Type", client.type),
        ("Status", client.status),
        ("Owner", client.owner),
        ("Source", client.source),
        ("Region", client.region),
        ("Tags", ", ".join(client.tags)),
        ("Website", client.website),
        ("Emails", ", ".join(client.emails)),
        ("Phones", ", ".join(client.phones)),
        ("Address", client.address),
        ("Cadence", f"every {client.cadence_days} days" if client.cadence_days else None),
    ]


def _ago(days: int) -> str:
    return "today" if days <= 0 else "1 day ago" if days == 1 else f"{days} days ago"


def _deal_table(deals: list[Deal], currency: str) -> None:
    render.table(
        ["Id", "Title", "Stage", "Status", render.Column("Amount", "right"), "Close date"],
        (
            [
                d.id,
                d.title,
                d.stage,
                d.status + (f" ({d.lost_reason})" if d.lost_reason else ""),
                money_text(d.amount, d.currency or currency),
                (d.closed or d.close_date or ""),
            ]
            for d in deals
        ),
    )


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


@client_app.command("edit")
def edit(
    ctx: typer.Context,
    ref: Ref,
    assignments: Assignments = None,
    add_contact: Annotated[
        list[str] | None,
        typer.Option(
            "--add-contact",
            help='Add a contact person: "Jane Doe <jane@x.com>" (repeatable).',
            metavar='"NAME <EMAIL>"',
        ),
    ] = None,
) -> None:
    """Change a client: with --set/--add-contact directly, otherwise in $EDITOR."""
    ws = workspace(ctx)

    def apply() -> Client | None:
        edited = service.edit_client(
            ws,
            ref=ref,
            assignments=assignments or [],
            add_contacts=add_contact or [],
            now=cli_now(ctx),
        )
        return edited.client if edited.changed else None

    edit_command(ws, "client", ref, apply if assignments or add_contact else None)


def _ask(question: str) -> bool:
    """A yes/no question on stderr; no answer at all (end of input) is refused."""
    from tcrm.cli.terminal import err

    err.print(f"{question} [y/N] ", end="", markup=False, highlight=False)
    try:
        answer = sys.stdin.readline()
    except OSError:
        answer = ""
    if not answer:
        err.print()
        raise UsageError("no answer to the question; nothing was deleted (pass --yes to confirm)")
    return answer.strip().lower() in ("y", "yes")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


@client_app.command("rm")
def rm(
    ctx: typer.Context,
    ref: Ref,
    cascade: Annotated[
        bool,
        typer.Option(
            "--cascade",
            help="Also delete its deals and the tasks only about it; unlink its activities "
            "(they are kept as history).",
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a client; refused while deals, tasks or activities point at it."""
    ws = workspace(ctx)
    plan = service.remove_client(
        ws,
        ref=ref,
        cascade=cascade,
        confirm=None if yes else (lambda p: _ask(_sentence(p.summary()) + "?")),
    )
    if plan is None:
        render.message("Nothing deleted.")
        raise typer.Exit(1)
    render.message(f"Done: {plan.summary()}.")


@client_app.command("merge")
def merge(
    ctx: typer.Context,
    keep: Annotated[
        str,
        typer.Argument(
            help="The client that stays.",
            metavar="KEEP",
            autocompletion=completion.clients,
            show_default=False,
        ),
    ],
    duplicate: Annotated[
        str,
        typer.Argument(
            help="The duplicate, merged into KEEP and deleted.",
            metavar="DUPLICATE",
            autocompletion=completion.clients,
            show_default=False,
        ),
    ],
) -> None:
    """Merge DUPLICATE into KEEP: its deals, tasks, activities and contacts move over."""
    result = service.merge_clients(workspace(ctx), keep=keep, duplicate=duplicate)
    render.message(
        f"Merged {result.duplicate.id} into {result.client.id}: moved {result.deals} deal(s), "
        f"{result.tasks} task(s), {result.activities} activity(ies)."
    )


def register(app: typer.Typer) -> None:
    app.add_typer(client_app, name="client")
