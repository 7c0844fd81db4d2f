"""Big, realistic workspaces for benchmarks and scale tests, generated fast and deterministically.

``write_generated_workspace(dest, clients=..., deals=..., tasks=..., activities=...)`` writes
the sample workspace's settings and that many records, then makes one git commit of
everything. The same arguments give the same bytes, file by file and commit by commit: a
seeded ``random.Random``, a fixed ``today``, a fixed commit date, no wall clock.

Records are plain dicts in the exact form the store writes for a new record (model field
order, ``record.to_data()`` values), written by ``yamlio.dump_fast`` as tcrm writes them.
It is a fixture generator, not user data: plain file writes, no atomic replace, no lock.
"""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tcrm.devtools.sample_settings import SETTINGS_YAML
from tcrm.model.settings import Pipeline, Settings
from tcrm.model.types import slugify
from tcrm.store.yamlio import dump_fast, load_fast

ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
_ID_SPACE = len(ID_ALPHABET) ** 7
GITIGNORE = "# tcrm's local cache, index and lock: never shared\n.tcrm/\n"
COMMIT_MESSAGE = "generated"
_CADENCES = (14, 30, 60, 90, 180, 365)
COMMIT_IDENTITY = "bench <bench@example.com>"


@dataclass(frozen=True)
class Size:
    clients: int
    deals: int
    tasks: int
    activities: int

    @property
    def records(self) -> int:
        return self.clients + self.deals + self.tasks + self.activities


PRESETS: dict[str, Size] = {
    "1k": Size(100, 200, 400, 300),
    "10k": Size(1_000, 2_000, 4_000, 3_000),
    "100k": Size(10_000, 20_000, 40_000, 30_000),
}
"""Named sizes; the name counts records of all four kinds."""

# --- words ---------------------------------------------------------------------------------

_NAME_PARTS = (  # noqa: SIM905 - word lists read better as text
    "Atlas Aurora Cedar Cobalt Copper Delta Ember Falcon Fjord Granite Harbor Heron Kolibri "
    "Lindner Lotus Maple Meadow Nova Orbit Orchard Pixel Polar Prism Quartz Sierra Summit "
    "Tidal Vertex Willow Zenith Alpine Birch Crimson Lumen Oak Riverside Lakeside Harbour"
).split()
_PREFIXES = "North South West Blue Silver Bright Green Red Stone Sun Iron Clear".split()  # noqa: SIM905
_SUFFIXES = "wind water field stone light forge line bridge wood gate point haven".split()  # noqa: SIM905
_INDUSTRIES = (  # noqa: SIM905
    "Logistics|Studio|Dental|Consulting|Foods|Labs|Robotics|Design|Architects|Wines|Fitness|"
    "Health|Insurance|Outdoor|Games|Travel|Bakery|Brewery|Media|Energy|Software|Analytics|"
    "Clinic|Books|Furniture|Fashion|Coffee|Legal|Capital|Partners"
).split("|")
_FORMS = ("GmbH", "Ltd", "Inc.", "AG", "BV", "SAS", "AS", "", "", "", "")
_FIRST = (  # noqa: SIM905
    "Anna Ben Chloé David Emma Felix Grace Hugo Inès Jonas Katrin Lars Maja Noah Olivia Paul "
    "Quentin Rosa Sven Tobias Ute Viktor Wiebke Yusuf Zoe Jana Aino Ingrid Élodie Florian "
    "Sophie Lukas Amélie Henrik Clara Mateo Freya Jakob Léa Oskar"
).split()
_LAST = (  # noqa: SIM905
    "Müller Smith Martin Okafor Lindqvist Rossi Novak Dubois Krüger Wendt Virtanen Solberg "
    "Rousseau Maier Becker Schröder Jansen Nowak Moreau Fischer Hansen Berg Weber Schmidt "
    "Laurent Garcia Kowalski Nielsen Bauer Wagner Lefèvre Andersen Keller Vogel Brown Walsh"
).split()
_INITIALS = "ABCDEFGHJKLMNPRSTW"
_ROLES = (
    "CEO",
    "Managing Director",
    "Head of Marketing",
    "IT Lead",
    "Office Manager",
    "Product Owner",
    "CFO",
    "Founder",
)
_PLACES: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    # region: (street, postcode, city, country)
    "DACH": (
        ("Am Sandtorkai", "20457", "Hamburg", "Germany"),
        ("Torstraße", "10119", "Berlin", "Germany"),
        ("Maximilianstraße", "80539", "München", "Germany"),
        ("Mariahilfer Straße", "1070", "Wien", "Austria"),
        ("Bahnhofstrasse", "8001", "Zürich", "Switzerland"),
    ),
    "France": (
        ("Rue de Rivoli", "75004", "Paris", "France"),
        ("Quai Saint-Antoine", "69002", "Lyon", "France"),
    ),
    "Benelux": (
        ("Keizersgracht", "1015", "Amsterdam", "Netherlands"),
        ("Avenue Louise", "1050", "Bruxelles", "Belgium"),
    ),
    "Nordics": (
        ("Bryggen", "5003", "Bergen", "Norway"),
        ("Esplanadi", "00130", "Helsinki", "Finland"),
        ("Drottninggatan", "111 51", "Stockholm", "Sweden"),
    ),
    "UK & Ireland": (
        ("Shoreditch High Street", "E1 6JE", "London", "United Kingdom"),
        ("Grafton Street", "D02", "Dublin", "Ireland"),
    ),
    "North America": (
        ("Broadway", "10012", "New York", "USA"),
        ("Market Street", "94103", "San Francisco", "USA"),
    ),
}
_PHONE_PREFIX = {
    "DACH": "+49 30",
    "France": "+33 1",
    "Benelux": "+31 20",
    "Nordics": "+47 55",
    "UK & Ireland": "+44 20",
    "North America": "+1 212",
}
_PROJECTS = (
    "website relaunch",
    "online shop",
    "mobile app",
    "support retainer",
    "SEO audit",
    "booking system",
    "brand refresh",
    "intranet",
    "customer portal",
    "newsletter templates",
    "hosting migration",
    "accessibility review",
)
_PARTNER_PROJECTS = ("referral partnership", "white-label agreement", "technology partnership")
_CLIENT_TASKS = (
    "Call {contact} about the next steps",
    "Send the proposal to {client}",
    "Follow up with {contact}",
    "Prepare the pitch deck for {client}",
    "Renew the SSL certificate of {domain}",
    "Send the invoice to {client}",
    "Book the kick-off meeting with {contact}",
    "Review the analytics report for {client}",
)
_INTERNAL_TASKS = (
    "Update the pricing page",
    "Plan the team offsite",
    "Clean up the CRM tags",
    "Write the quarterly newsletter",
    "Review open proposals",
)
_RECURRING = (
    ("Weekly pipeline review", "FREQ=WEEKLY;BYDAY=MO"),
    ("Review and update the knowledge base", "FREQ=WEEKLY;BYDAY=FR"),
    ("Send the monthly retainer invoices", "FREQ=MONTHLY;BYMONTHDAY=1"),
    ("Publish a case study on the blog", "FREQ=MONTHLY;BYDAY=-1FR"),
    ("Check in with {client}", "FREQ=MONTHLY;BYDAY=1TU"),
)
_SUMMARIES = {
    "call": ("Call with {contact} about the {project}", "Quick check-in call with {contact}"),
    "meeting": ("Workshop with {contact} on the {project}", "Kick-off meeting at {client}"),
    "email": ("Sent the estimate for the {project}", "{contact} asked for references"),
    "note": ("{client} is reviewing budgets for next year", "Heard {client} is hiring"),
}
_KIND_WEIGHTS = {"call": 4, "meeting": 2, "email": 3, "note": 1}
_OUTCOMES = ("Send a first estimate", "Wants a call back next week", "Positive", "No decision yet")
_CLIENT_NOTES = (
    "Prefers calls on Tuesday or Thursday mornings.",
    "Invoices go to accounting, not to the contact.",
    "Met at the trade fair.\nWants a call back before the end of the quarter.",
    "Decision maker is the CEO.\nBudget is approved in January.",
)


# --- the records ---------------------------------------------------------------------------


@dataclass
class _Client:
    id: str
    name: str
    domain: str
    region: str
    owner: str
    contacts: list[str]
    created: date
    deals: list[str] = field(default_factory=list)
    open_deals: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    last_activity: date | None = None


class _Generator:
    """Builds every record as ``(relative path, data)``, in a fixed order."""

    def __init__(self, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.settings = Settings.model_validate(load_fast(SETTINGS_YAML))
        self.zone = ZoneInfo(self.settings.timezone)
        self.team = [m.id for m in self.settings.team]
        self.lists = self.settings.lists
        self.kinds = [k for k in self.lists.activity_kinds for _ in range(_KIND_WEIGHTS.get(k, 1))]
        self.clients: list[_Client] = []
        self.taken: set[str] = set()
        self._offsets: dict[date, str] = {}
        self._names: set[str] = set()

    # -- helpers --

    def stamp(self, day: date, minutes: int | None = None) -> str:
        """A minutes-precision date-time with the zone's offset on that day, in working hours."""
        if minutes is None:
            minutes = self.rng.randrange(8 * 12, 18 * 12) * 5
        offset = self._offsets.get(day)
        if offset is None:
            noon = datetime(day.year, day.month, day.day, 12, tzinfo=self.zone)
            offset = noon.isoformat()[-6:]
            self._offsets[day] = offset
        return f"{day.isoformat()}T{minutes // 60:02d}:{minutes % 60:02d}{offset}"

    def ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    def short_id(self, prefix: str) -> str:
        while True:
            n = self.rng.getrandbits(35) % _ID_SPACE
            chars = []
            for _ in range(7):
                n, digit = divmod(n, 31)
                chars.append(ID_ALPHABET[digit])
            candidate = prefix + "".join(chars)
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate

    def slug_id(self, name: str) -> str:
        base = slugify(name)
        candidate, n = base, 1
        while candidate in self.taken:
            n += 1
            candidate = f"{base}-{n}"
        self.taken.add(candidate)
        return candidate

    def person(self) -> tuple[str, str]:
        return self.rng.choice(_FIRST), self.rng.choice(_LAST)

    def unique_name(self, make: Callable[[], str]) -> str:
        """A name no other client has: a few fresh draws, then a number as a last resort."""
        name = make()
        for _ in range(8):
            if slugify(name) not in self._names:
                break
            name = make()
        candidate, n = name, 1
        while slugify(candidate) in self._names:
            n += 1
            candidate = f"{name} {n}"
        self._names.add(slugify(candidate))
        return candidate

    def person_name(self) -> str:
        first, last = self.person()
        if self.rng.random() < 0.3:
            return f"{first} {self.rng.choice(_INITIALS)}. {last}"
        return f"{first} {last}"

    def company_name(self) -> str:
        rng = self.rng
        if rng.random() < 0.5:
            words = f"{rng.choice(_PREFIXES)}{rng.choice(_SUFFIXES)}"
        else:
            words = rng.choice(_NAME_PARTS)
        return f"{words} {rng.choice(_INDUSTRIES)} {rng.choice(_FORMS)}".strip()

    def pick_client(self) -> _Client:
        """Skewed: a few clients get much of the work, as in any CRM."""
        return self.clients[int(len(self.clients) * self.rng.random() ** 1.6)]

    # -- clients --

    def client(self) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        lists = self.lists
        is_person = rng.random() < 0.15
        region = rng.choice(lists.regions)
        if is_person:
            name = self.unique_name(self.person_name)
            domain = f"{slugify(name)}.example.net"
        else:
            name = self.unique_name(self.company_name)
            domain = f"{slugify(name)}.example.com"
        record_id = self.slug_id(name)
        owner = rng.choice(self.team)
        created = self.ago(30, 1500)
        data: dict[str, Any] = {"name": name, "type": "person" if is_person else "company"}
        data["status"] = rng.choice(lists.client_statuses)
        data["owner"] = owner
        data["source"] = rng.choice(lists.sources)
        data["region"] = region
        tags = rng.sample(lists.tags, rng.choice((0, 1, 1, 2, 3)))
        if tags:
            data["tags"] = sorted(tags, key=lists.tags.index)
        if not is_person:
            data["website"] = f"https://www.{domain}"
        data["emails"] = [f"hello@{domain}"]
        prefix = _PHONE_PREFIX.get(region, "+49 30")
        data["phones"] = [f"{prefix} {rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)}"]
        if rng.random() < 0.6:
            street, postcode, city, country = rng.choice(_PLACES.get(region, _PLACES["DACH"]))
            data["address"] = f"{street} {rng.randrange(1, 120)}, {postcode} {city}, {country}"
        if rng.random() < 0.3:
            data["cadence_days"] = rng.choice(_CADENCES[:4])
        contact_names = [name] if is_person else []
        if not is_person:
            contacts = []
            for _ in range(rng.choice((1, 1, 2, 2, 3))):
                first, last = self.person()
                contact_name = f"{first} {last}"
                if contact_name in contact_names:
                    continue
                contact_names.append(contact_name)
                local = slugify(f"{first}.{last}").replace("-", ".")
                contact: dict[str, Any] = {"name": contact_name}
                contact["role"] = rng.choice(_ROLES)
                contact["emails"] = [f"{local}@{domain}"]
                contacts.append(contact)
            data["contacts"] = contacts
        data["created"] = self.stamp(created)
        if rng.random() < 0.1:
            data["notes"] = rng.choice(_CLIENT_NOTES)
        self.clients.append(_Client(record_id, name, domain, region, owner, contact_names, created))
        return f"clients/{record_id}.yaml", data

    # -- deals --

    def deal(self) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        client = self.pick_client()
        partnership = rng.random() < 0.15
        pipeline = self.settings.pipelines[1 if partnership else 0]
        project = rng.choice(_PARTNER_PROJECTS if partnership else _PROJECTS)
        title = f"{client.name} {project}"
        n = client.projects.count(project)
        client.projects.append(project)
        if n:
            title = f"{title} phase {n + 1}"
        record_id = self.slug_id(title)
        roll = rng.random()
        status = "open" if roll < 0.55 else "won" if roll < 0.8 else "lost"
        stages = pipeline.stage_ids()
        target = rng.randrange(len(stages))
        start = 1 if target >= 1 and rng.random() < 0.2 else 0
        steps = stages[start : target + 1]
        end = self.today - timedelta(days=1)
        if status == "open":
            days = self.open_days(pipeline, steps, client.created)
        else:  # closed deals span two years
            days = [max(client.created, self.ago(20, 730))]
            for _ in steps[1:]:
                days.append(days[-1] + timedelta(days=rng.randint(1, 25)))
        days = [min(d, end) for d in days]
        closed: date | None = None
        if status != "open":
            closed = min(days[-1] + timedelta(days=rng.randint(1, 30)), end)
        history = self.history(steps, days, closed, status)
        required = _required(pipeline, steps)
        needs_amount = status == "won" or "amount" in required
        data: dict[str, Any] = {
            "title": title,
            "client": client.id,
            "pipeline": pipeline.id,
            "stage": steps[-1],
            "status": status,
        }
        if needs_amount or rng.random() < 0.8:
            data["amount"] = str(rng.randrange(10, 1200) * 100)
            currency_roll = rng.random()
            if client.region == "North America" or currency_roll < 0.03:
                data["currency"] = "USD"
            elif client.region == "UK & Ireland":
                data["currency"] = "GBP"
        if rng.random() < 0.05:
            data["probability"] = rng.choice((20, 30, 60, 80, 90))
        if closed is not None:
            data["close_date"] = closed.isoformat()
        elif "close_date" in required or rng.random() < 0.6:
            data["close_date"] = (self.today + timedelta(days=rng.randint(-10, 120))).isoformat()
        data["owner"] = client.owner if rng.random() < 0.8 else rng.choice(self.team)
        data["source"] = rng.choice(self.lists.sources)
        if rng.random() < 0.6:
            data["tags"] = [rng.choice(self.lists.tags)]
        if client.contacts:
            data["contacts"] = [rng.choice(client.contacts)]
        if status == "lost":
            data["lost_reason"] = rng.choice(self.lists.lost_reasons)
        if closed is not None:
            data["closed"] = closed.isoformat()
        data["created"] = history[0]["at"]
        data["stage_history"] = history
        client.deals.append(record_id)
        if status == "open":
            client.open_deals.append(record_id)
        return f"deals/{record_id}.yaml", data

    def open_days(self, pipeline: Pipeline, steps: list[str], created: date) -> list[date]:
        """The days an open deal entered each of its stages, counted back from its current
        one. As in a pipeline people work, most open deals moved within their stage's
        rotting time; about one in ten has sat longer (those ``tcrm today`` flags)."""
        rng = self.rng
        stage = pipeline.stage(steps[-1])
        limit = stage.rotting_days if stage and stage.rotting_days else 30
        if rng.random() < 0.9:
            last = self.ago(1, max(1, limit - 1))
        else:
            last = self.ago(limit + 2, limit + 90)
        days = [last]
        for _ in steps[1:]:
            days.insert(0, days[0] - timedelta(days=rng.randint(1, 25)))
        shift = max((created - days[0]).days, 0)  # never before the client existed
        return [d + timedelta(days=shift) for d in days]

    def history(
        self, steps: list[str], days: list[date], closed: date | None, status: str
    ) -> list[dict[str, Any]]:
        """Stage changes in time order, even when several fall on the same day."""
        moves: list[tuple[str, date, str | None]] = [
            (stage, day, None) for stage, day in zip(steps, days, strict=True)
        ]
        if closed is not None:
            moves.append((steps[-1], closed, status))
        out: list[dict[str, Any]] = []
        previous: tuple[date, int] | None = None
        for stage, day, change in moves:
            minutes = self.rng.randrange(8 * 12, 18 * 12) * 5
            if previous is not None and previous[0] == day:
                minutes = min(previous[1] + self.rng.randrange(1, 12) * 5, 23 * 60 + 55)
            previous = (day, minutes)
            entry: dict[str, Any] = {"at": self.stamp(day, minutes), "stage": stage}
            if change is not None:
                entry["status"] = change
            out.append(entry)
        return out

    # -- tasks --

    def task(self) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        record_id = self.short_id("t")
        roll = rng.random()
        # 30% done, 3% cancelled, 10% overdue, 2% due today, 42% upcoming, 13% undated
        if roll < 0.30:
            status, due_day = "done", self.ago(1, 365)
        elif roll < 0.33:
            status, due_day = "cancelled", self.ago(1, 365)
        elif roll < 0.43:
            status, due_day = "open", self.ago(1, 60)
        elif roll < 0.45:
            status, due_day = "open", self.today
        elif roll < 0.87:
            status, due_day = "open", self.today + timedelta(days=rng.randint(1, 90))
        else:
            status, due_day = "open", None
        client = self.pick_client() if self.clients and rng.random() < 0.85 else None
        repeat: str | None = None
        if status == "open" and due_day is not None and rng.random() < 0.04:
            title, repeat = rng.choice(_RECURRING)
            if "{client}" in title:
                title = title.format(client=client.name) if client else "Check in with partners"
        elif client is not None:
            template = rng.choice(_CLIENT_TASKS)
            contact = client.contacts[0] if client.contacts else client.name
            title = template.format(client=client.name, contact=contact, domain=client.domain)
        else:
            title = rng.choice(_INTERNAL_TASKS)
        data: dict[str, Any] = {"title": title, "status": status}
        timed = due_day is not None and repeat is None and rng.random() < 0.2
        if due_day is not None:
            if timed:
                minutes = rng.randrange(8 * 4, 18 * 4) * 15
                data["due"] = f"{due_day.isoformat()}T{minutes // 60:02d}:{minutes % 60:02d}"
                if rng.random() < 0.5:
                    data["duration"] = rng.choice((15, 30, 60, 90))
                if rng.random() < 0.5:
                    data["reminders"] = [rng.choice(("15m", "30m", "1h"))]
            else:
                data["due"] = due_day.isoformat()
                if rng.random() < 0.05:
                    data["reminders"] = ["1d"]
        if repeat:
            data["repeat"] = repeat
        if rng.random() < 0.5:
            data["priority"] = rng.choice(("high", "medium", "medium", "low"))
        data["assignee"] = client.owner if client and rng.random() < 0.7 else rng.choice(self.team)
        if client is not None:
            data["clients"] = [client.id]
            deals = client.open_deals or client.deals
            if deals and rng.random() < 0.5:
                data["deals"] = [rng.choice(deals)]
            if client.contacts and rng.random() < 0.6:
                data["contacts"] = [rng.choice(client.contacts)]
        if repeat:
            data["series"] = record_id
        reference = due_day if due_day is not None and due_day < self.today else self.today
        created = reference - timedelta(days=rng.randint(1, 30))
        data["created"] = self.stamp(created)
        if status == "done":
            done_near = due_day if due_day is not None else reference
            completed = min(done_near + timedelta(days=rng.randint(-3, 2)), self.today)
            completed = max(completed, created + timedelta(days=1))
            if completed >= self.today:
                data["completed"] = self.stamp(self.today, rng.randrange(7 * 12, 9 * 12) * 5)
            else:
                data["completed"] = self.stamp(completed)
        return f"tasks/{record_id}.yaml", data

    # -- activities --

    def activity(self) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        record_id = self.short_id("a")
        day = self.ago(1, 365)
        kind = rng.choice(self.kinds)
        client = self.pick_client() if self.clients else None
        contact = (client.contacts[0] if client.contacts else client.name) if client else "them"
        project = rng.choice(client.projects) if client and client.projects else "website"
        summary = rng.choice(_SUMMARIES.get(kind, _SUMMARIES["note"])).format(
            contact=contact, client=client.name if client else "a client", project=project
        )
        data: dict[str, Any] = {"kind": kind, "at": self.stamp(day), "summary": summary}
        if client is not None:
            data["clients"] = [client.id]
            client.last_activity = max(day, client.last_activity or day)
            if client.deals and rng.random() < 0.4:
                data["deals"] = [rng.choice(client.deals)]
            if client.contacts and kind != "note":
                data["contacts"] = [contact]
        if kind != "note" and rng.random() < 0.4:
            data["outcome"] = rng.choice(_OUTCOMES)
        data["author"] = client.owner if client and rng.random() < 0.7 else rng.choice(self.team)
        return f"activities/{day.year:04d}/{record_id}.yaml", data

    def records(self, size: Size) -> Iterator[tuple[str, dict[str, Any]]]:
        clients = [self.client() for _ in range(size.clients)]
        for _ in range(size.deals if self.clients else 0):
            yield self.deal()
        for _ in range(size.tasks):
            yield self.task()
        for _ in range(size.activities):
            yield self.activity()
        for (rel, data), client in zip(clients, self.clients, strict=True):
            self.keep_in_touch(data, client)
            yield rel, data

    def keep_in_touch(self, data: dict[str, Any], client: _Client) -> None:
        """Most clients with a cadence were contacted within it (their cadence is one the
        team keeps); some are overdue, as ``tcrm today`` shows."""
        cadence = data.get("cadence_days")
        if cadence is None:
            return
        idle = (self.today - (client.last_activity or client.created)).days
        if idle <= cadence or self.rng.random() < 0.15:
            return
        kept = [days for days in _CADENCES if days > idle]
        if kept:
            data["cadence_days"] = kept[0]
        else:
            del data["cadence_days"]


def _required(pipeline: Pipeline, steps: list[str]) -> set[str]:
    out: set[str] = set()
    for stage_id in steps:
        stage = pipeline.stage(stage_id)
        if stage is not None:
            out.update(stage.required)
    return out


def generated_records(
    size: Size, *, seed: int = 1, today: date = date(2026, 11, 23)
) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(relative path, data)`` of every record, as the generator makes them."""
    return _Generator(seed, today).records(size)


# --- writing and committing ----------------------------------------------------------------


def write_generated_workspace(
    dest: Path,
    *,
    clients: int,
    deals: int,
    tasks: int,
    activities: int,
    seed: int = 1,
    today: date = date(2026, 11, 23),
) -> None:
    """A valid workspace of this size at ``dest`` (new or empty), committed once with git.

    Deals need clients: with no clients, no deals are made.
    """
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} is not empty")
    size = Size(clients, deals, tasks, activities)
    files: list[tuple[str, bytes]] = [
        ("tcrm.yaml", SETTINGS_YAML.encode("utf-8")),
        (".gitignore", GITIGNORE.encode("utf-8")),
    ]
    files.extend(
        (rel, dump_fast(data).encode("utf-8"))
        for rel, data in generated_records(size, seed=seed, today=today)
    )
    files.sort()
    dest.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **_identity(today)}
    _git(dest, env, "init", "-q")
    # git packs the blobs while this process writes the same bytes to the work tree
    packer = subprocess.Popen(
        ["git", "-C", str(dest), "fast-import", "--quiet", "--done"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    feeder = threading.Thread(target=packer.communicate, args=(_blob_stream(files),))
    feeder.start()
    try:
        _write_files(dest, files)
    finally:
        feeder.join()
    if packer.returncode:
        raise subprocess.CalledProcessError(packer.returncode, "git fast-import")
    tree = _write_tree(dest, env, _tree_of(files))
    commit = _git(dest, env, "commit-tree", tree, "-m", COMMIT_MESSAGE).strip()
    _git(dest, env, "update-ref", "HEAD", commit)
    _git(dest, env, "reset", "-q")  # the index, refreshed against the files just written


def _identity(today: date) -> dict[str, str]:
    """A fixed author, committer and date, so the commit id is the same on every run."""
    name, _, email = COMMIT_IDENTITY.partition(" <")
    when = f"{today.isoformat()}T08:00:00+00:00"
    out: dict[str, str] = {}
    for role in ("AUTHOR", "COMMITTER"):
        out |= {
            f"GIT_{role}_NAME": name,
            f"GIT_{role}_EMAIL": email.rstrip(">"),
            f"GIT_{role}_DATE": when,
        }
    return out


def _write_files(root: Path, files: list[tuple[str, bytes]]) -> None:
    made: set[str] = set()
    for rel, data in files:
        folder = rel.rpartition("/")[0]
        if folder and folder not in made:
            (root / folder).mkdir(parents=True, exist_ok=True)
            made.add(folder)
        fd = os.open(root / rel, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def _blob_stream(files: list[tuple[str, bytes]]) -> bytes:
    """Every file as a ``git fast-import`` blob: one pack, no loose objects.

    Paths and trees are left out on purpose: fast-import files each path into its tree
    with a linear search, which at 40,000 files in a folder costs more than the packing.
    No loose objects means no ``git gc --auto`` on the workspace's next commit.
    """
    chunks = []
    for _, data in files:
        chunks.append(b"blob\ndata %d\n" % len(data))
        chunks.append(data)
        chunks.append(b"\n")
    chunks.append(b"done\n")
    return b"".join(chunks)


_Tree = dict[str, "bytes | _Tree"]


def _tree_of(files: list[tuple[str, bytes]]) -> _Tree:
    """Nested folders of ``name -> blob id`` (binary SHA-1, as git computes it)."""
    root: _Tree = {}
    for rel, data in files:
        *folders, name = rel.split("/")
        node = root
        for folder in folders:
            node = node.setdefault(folder, {})  # type: ignore[assignment]
        node[name] = hashlib.sha1(b"blob %d\0%s" % (len(data), data)).digest()
    return root


def _write_tree(root: Path, env: dict[str, str], tree: _Tree) -> str:
    """The id of ``tree`` stored with ``git hash-object``, its subtrees first."""
    entries = []
    for name, value in tree.items():
        if isinstance(value, dict):
            oid = bytes.fromhex(_write_tree(root, env, value))
            entries.append((name + "/", b"40000 %s\0%s" % (name.encode(), oid)))
        else:
            entries.append((name, b"100644 %s\0%s" % (name.encode(), value)))
    entries.sort(key=lambda e: e[0].encode())  # git's order: a folder sorts as "name/"
    done = subprocess.run(
        ["git", "-C", str(root), "hash-object", "-w", "-t", "tree", "--stdin"],
        input=b"".join(e[1] for e in entries),
        env=env,
        check=True,
        capture_output=True,
    )
    return done.stdout.decode().strip()


def _git(root: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args], env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


__all__ = ["PRESETS", "Size", "generated_records", "write_generated_workspace"]
