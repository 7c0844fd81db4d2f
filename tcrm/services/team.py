"""The team in ``tcrm.yaml``: members added, listed and removed without editing YAML.

A member's id is what records name as ``owner``, ``assignee`` or ``author``; once the team
has members, those fields must name one of them (``tcrm check``, every input path). So a
member is removed only while no record names them, and adding the first member reports
the people records already name that the team does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from tcrm.errors import Command, Field, NotFoundError, UsageError
from tcrm.model.records import Activity, Client, Deal, Record, Task
from tcrm.model.settings import Member
from tcrm.services.settings_file import checked_text, settings_doc
from tcrm.store import yamlio
from tcrm.store.workspace import SETTINGS_FILE, Workspace

PERSON_FIELDS: tuple[tuple[str, str], ...] = (
    ("client", "owner"),
    ("deal", "owner"),
    ("task", "assignee"),
    ("activity", "author"),
)
"""Where records name a team member: ``(kind, field)``."""


@dataclass(frozen=True)
class Reference:
    """A record (or a goal in tcrm.yaml) that names a member."""

    path: str
    field: str


def list_members(ws: Workspace) -> list[Member]:
    """The team, in the order of tcrm.yaml."""
    return list(ws.settings.team)


def _person(record: Record, field: str) -> str | None:
    value = getattr(record, field, None)
    return value if isinstance(value, str) else None


def references(ws: Workspace) -> dict[str, list[Reference]]:
    """``{member id: [where records name them]}`` for every person any record names."""
    out: dict[str, list[Reference]] = {}
    types: dict[str, type[Record]] = {
        "client": Client,
        "deal": Deal,
        "task": Task,
        "activity": Activity,
    }
    for kind, field in PERSON_FIELDS:
        for record in ws.load_all(kind):
            assert isinstance(record, types[kind])
            person = _person(record, field)
            if person:
                out.setdefault(person, []).append(Reference(ws.rel(ws.path_of(record)), field))
    for i, goal in enumerate(ws.settings.goals):
        if goal.member:
            out.setdefault(goal.member, []).append(Reference(SETTINGS_FILE, f"goals[{i}].member"))
    return out


def add_member(
    ws: Workspace,
    *,
    member_id: str,
    name: str,
    email: str | None = None,
    timezone: str | None = None,
) -> tuple[Member, list[str]]:
    """Add a member to tcrm.yaml in one commit.

    Returns the member and, when this is the first member, the other people records
    already name (they fail ``tcrm check`` from now on until they are added too).
    """
    from pydantic import ValidationError as PydanticError

    try:
        member = Member.model_validate(
            {
                "id": member_id,
                "name": name,
                **({"email": email} if email else {}),
                **({"timezone": timezone} if timezone else {}),
            }
        )
    except PydanticError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "id"
        if field == "id":  # the argument, not an option
            raise UsageError(f"ID: {first['msg']}") from None
        raise UsageError(first["msg"], field=field) from None
    settings = ws.settings
    if settings.member(member.id) is not None:
        raise UsageError(f"{member.id!r} is a team member already (tcrm team list)")
    if member.email and any(
        m.email and m.email.casefold() == member.email.casefold() for m in settings.team
    ):
        raise UsageError(Field("email"), f" {member.email!r} is another member's already")
    doc = settings_doc(ws)
    yamlio.append_item(doc, "team", member.model_dump(exclude_none=True))
    new_text = checked_text(doc)
    strangers: list[str] = []
    if not settings.team:
        strangers = sorted(p for p in references(ws) if p != member.id)
    with ws.transaction(f"team: add {member.id} ({member.name})") as tx:
        tx.write_text(SETTINGS_FILE, new_text)
    return member, strangers


def remove_member(ws: Workspace, *, member_id: str) -> Member:
    """Remove a member no record names, in one commit; refused (listing them) otherwise."""
    member = ws.settings.member(member_id)
    if member is None:
        ids = ", ".join(m.id for m in ws.settings.team) or "the team is empty"
        raise NotFoundError(f"no team member {member_id!r} ({ids})")
    named = references(ws).get(member.id, [])
    if named:
        folders: dict[str, int] = {}
        for ref in named:
            folder = ref.path.split("/")[0] if "/" in ref.path else ref.path
            folders[folder] = folders.get(folder, 0) + 1
        counts = ", ".join(f"{n} in {folder}" for folder, n in folders.items())
        shown = ", ".join(f"{r.path} ({r.field})" for r in named[:3])
        more = f", and {len(named) - 3} more" if len(named) > 3 else ""
        raise UsageError(
            f"{member.id!r} is named by {len(named)} record{'s' if len(named) != 1 else ''} "
            f"({counts}): {shown}{more}; reassign them first "
            "(e.g. ",
            Command(
                "tcrm deal update ",
                Field("where"),
                f" owner={member.id} ",
                Field("set"),
                " owner=ID",
            ),
            ")",
        )
    doc = settings_doc(ws)
    position = next(
        i
        for i, m in enumerate(doc["team"])
        if isinstance(m, dict) and str(m.get("id")) == member.id
    )
    yamlio.remove_item(doc, "team", position)
    new_text = checked_text(doc)
    with ws.transaction(f"team: remove {member.id} ({member.name})") as tx:
        tx.write_text(SETTINGS_FILE, new_text)
    return member
