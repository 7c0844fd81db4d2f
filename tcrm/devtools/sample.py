"""The sample workspace: Northwind Studio, a small web agency, generated deterministically.

``sample_workspace/`` (used by the README and the tests) is written by this module; regenerate
it with ``python scripts/make_sample_workspace.py --force``. A seeded ``random.Random`` and a
fixed ``today`` make every run write the same bytes: no wall clock, no ``uuid``/``secrets``.
Every record is built as a model instance (so it is validated) and checked against the
settings and the other records before anything is written.

Over 900 lines because most of it is data (the clients, deals and knowledge-base pages of
the sample), written as tables of models rather than files so each is validated. It does
not ship in the wheel (pyproject.toml excludes it): nothing under tcrm/ imports it.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

from tcrm.devtools.sample_settings import SETTINGS_YAML
from tcrm.model.records import Activity, Client, Contact, Deal, Record, StageChange, Task
from tcrm.model.rules import record_findings
from tcrm.model.settings import Settings
from tcrm.model.types import slugify
from tcrm.store.workspace import SETTINGS_FILE, Workspace
from tcrm.store.yamlio import dump_fast, load_fast

SEED = 20261123
TODAY = date(2026, 11, 23)
ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
COUNTS = {"client": 25, "deal": 40, "task": 60, "activity": 80}
ACTIVITY_WINDOW_DAYS = 245  # activities cover the ~8 months before today


# --- the company's clients --------------------------------------------------------------


@dataclass(frozen=True)
class _ClientSpec:
    key: str  # how the deals below refer to the client
    name: str
    short: str  # the name in deal titles
    owner: str
    status: str
    source: str
    region: str
    domain: str
    phone: str  # '#' is a random digit
    address: str
    contacts: tuple[tuple[str, str], ...]  # (name, role)
    tags: tuple[str, ...] = ()
    type: str = "company"
    cadence_days: int | None = None
    notes: str | None = None
    contact_notes: tuple[str | None, ...] = ()


# fmt: off
CLIENTS: tuple[_ClientSpec, ...] = (
    _ClientSpec(
        "acme", "Acme Logistics", "Acme Logistics", "ann", "active", "referral", "DACH",
        "acme-logistics.de", "+49 40 3802 ####", "Am Sandtorkai 41, 20457 Hamburg, Germany",
        (("Jana Krüger", "Head of Marketing"), ("Tobias Wendt", "IT Lead")),
        tags=("enterprise", "retainer"), cadence_days=30,
        notes="Jana owns the website; Tobias signs off on hosting and security.\n"
        "Prefers calls on Tuesday or Thursday mornings.\n"
        "Retainer invoice goes out on the 1st of each month.",
    ),
    _ClientSpec(
        "muller", "Müller & Söhne GmbH", "Müller & Söhne", "ann", "active", "event", "DACH",
        "mueller-soehne.de", "+49 711 7826 ####", "Industriestraße 7, 70565 Stuttgart, Germany",
        (("Klaus Müller", "Managing Director"), ("Sabine Müller", "Office Manager")),
        tags=("smb", "ecommerce"), cadence_days=60,
        contact_notes=("Decides everything; wants a fixed price.", "Handles invoices."),
    ),
    _ClientSpec(
        "cafe", "Café Lumière", "Café Lumière", "chloe", "active", "website", "France",
        "cafe-lumiere.fr", "+33 1 42 ## ## ##", "12 rue des Martyrs, 75009 Paris, France",
        (("Élodie Rousseau", "Owner"),),
        tags=("smb",), cadence_days=90,
    ),
    _ClientSpec(
        "brightwater", "Brightwater Health", "Brightwater Health", "ben", "prospect", "outbound",
        "North America", "brightwaterhealth.com", "+1 617 555 01##",
        "200 Clarendon Street, Boston, MA 02116, USA",
        (("Rachel Kim", "VP Digital Experience"), ("Marcus Hale", "Procurement Manager")),
        tags=("enterprise",),
        notes="HIPAA questions go to their compliance team before any proposal.\n"
        "Budget cycle starts in January; Marcus needs three quotes.",
    ),
    _ClientSpec(
        "fjordline", "Fjordline Outdoor AS", "Fjordline", "chloe", "active", "partner", "Nordics",
        "fjordline-outdoor.no", "+47 55 21 ## ##", "Strandkaien 8, 5013 Bergen, Norway",
        (("Ingrid Solberg", "E-commerce Manager"), ("Lars Håland", "CTO")),
        tags=("ecommerce",), cadence_days=30,
    ),
    _ClientSpec(
        "vdb", "Van der Berg Architecten", "Van der Berg", "chloe", "prospect", "referral",
        "Benelux", "vanderberg-architecten.nl", "+31 20 624 ####",
        "Keizersgracht 220, 1016 DZ Amsterdam, Netherlands",
        (("Pieter van der Berg", "Partner"), ("Femke de Vries", "Office Manager")),
        tags=("smb",),
    ),
    _ClientSpec(
        "greenleaf", "Greenleaf Foundation", "Greenleaf", "ben", "active", "event",
        "UK & Ireland", "greenleaf.org.uk", "+44 117 496 0###",
        "14 Baldwin Street, Bristol BS1 1SE, United Kingdom",
        (("Aoife O'Connor", "Director of Communications"), ("Tom Fletcher", "Finance Manager")),
        tags=("nonprofit",), cadence_days=45,
        notes="Charity rates apply (15% off day rates).\n"
        "Board meets on the first Wednesday of the month: big decisions wait for it.",
    ),
    _ClientSpec(
        "stadtwerke", "Stadtwerke Lindenau", "Stadtwerke Lindenau", "ann", "prospect", "outbound",
        "DACH", "stadtwerke-lindenau.de", "+49 341 4471 ####",
        "Am Wasserwerk 2, 04177 Leipzig, Germany",
        (("Dr. Heike Brandt", "Head of Digital Services"), ("Frank Lehmann", "Procurement")),
        tags=("public-sector", "enterprise"),
        notes="Public buyer: anything above 25,000 EUR goes to a tender.\n"
        "Ask Frank for the tender calendar every quarter.",
    ),
    _ClientSpec(
        "pixelforge", "Pixelforge Games", "Pixelforge", "ann", "lead", "linkedin", "DACH",
        "pixelforge.games", "+49 30 2093 ####", "Skalitzer Straße 85, 10997 Berlin, Germany",
        (("Mara Schulz", "CEO"), ("Kemal Aydın", "Lead Developer")),  # noqa: RUF001
        tags=("startup",),
    ),
    _ClientSpec(
        "nordlicht", "Nordlicht Versicherung AG", "Nordlicht", "ann", "active", "referral",
        "DACH", "nordlicht-versicherung.de", "+49 40 3290 ####",
        "Ballindamm 3, 20095 Hamburg, Germany",
        (
            ("Henrik Albers", "Head of Digital"),
            ("Claudia Voss", "Marketing Director"),
            ("Stefan Roth", "IT Security Officer"),
        ),
        tags=("enterprise", "vip", "retainer"), cadence_days=14,
        notes="Our biggest account. Security review (Stefan) before every release.\n"
        "Phase 2 of the portal is budgeted for Q1; Henrik wants a fixed scope per phase.",
        contact_notes=(None, None, "Send release notes a week before each deployment."),
    ),
    _ClientSpec(
        "oakridge", "Oakridge Consulting Ltd", "Oakridge", "ben", "former", "website",
        "UK & Ireland", "oakridge-consulting.co.uk", "+44 20 7946 0###",
        "3 Bream's Buildings, London EC4A 1DT, United Kingdom",
        (("James Whitmore", "Managing Partner"),),
        tags=("smb",),
    ),
    _ClientSpec(
        "backerei", "Bäckerei Schröder", "Bäckerei Schröder", "ann", "active", "website", "DACH",
        "baeckerei-schroeder.de", "+49 341 2264 ####",
        "Karl-Liebknecht-Straße 51, 04275 Leipzig, Germany",
        (("Anja Schröder", "Owner"), ("Paul Schröder", "Bakery Manager")),
        tags=("smb",), cadence_days=90,
    ),
    _ClientSpec(
        "lumen", "Lumen Robotics Inc.", "Lumen Robotics", "ben", "prospect", "event",
        "North America", "lumenrobotics.io", "+1 512 555 01##",
        "901 East 6th Street, Austin, TX 78702, USA",
        (("Priya Nair", "Co-founder & CTO"), ("Daniel Ortiz", "Head of Product")),
        tags=("startup",),
    ),
    _ClientSpec(
        "maison", "Maison Delacroix", "Maison Delacroix", "chloe", "active", "referral", "France",
        "maison-delacroix.fr", "+33 4 78 ## ## ##", "18 quai Saint-Antoine, 69002 Lyon, France",
        (("Camille Delacroix", "Brand Director"), ("Hugo Lefèvre", "E-commerce Lead")),
        tags=("ecommerce", "vip"), cadence_days=30,
        contact_notes=("Speaks English and French; prefers French in writing.", None),
    ),
    _ClientSpec(
        "kolibri", "Kolibri Reisen GmbH", "Kolibri Reisen", "ann", "prospect", "website", "DACH",
        "kolibri-reisen.at", "+43 1 512 ####", "Mariahilfer Straße 45, 1060 Wien, Austria",
        (("Stefanie Huber", "Head of Marketing"), ("Markus Gruber", "Managing Director")),
        tags=("smb", "ecommerce"),
    ),
    _ClientSpec(
        "helsinki", "Helsinki Design Collective", "Helsinki Design Collective", "chloe", "lead",
        "event", "Nordics", "hdcollective.fi", "+358 9 6812 ####",
        "Annankatu 16, 00120 Helsinki, Finland",
        (("Aino Virtanen", "Chair"),),
        tags=("nonprofit",),
    ),
    _ClientSpec(
        "brauhaus", "Brauhaus Zum Löwen", "Brauhaus Zum Löwen", "ann", "dormant", "event", "DACH",
        "brauhaus-loewen.de", "+49 89 2155 ####", "Tal 12, 80331 München, Germany",
        (("Florian Maier", "Owner"), ("Lena Hofmann", "Events Manager")),
        tags=("smb",),
    ),
    _ClientSpec(
        "quantum", "Quantum Ledger BV", "Quantum Ledger", "chloe", "prospect", "linkedin",
        "Benelux", "quantumledger.eu", "+31 10 714 ####",
        "Wilhelminakade 91, 3072 AP Rotterdam, Netherlands",
        (("Sanne Jansen", "COO"), ("Bram Peeters", "Product Owner")),
        tags=("startup",),
    ),
    _ClientSpec(
        "akesson", "Studio Åkesson", "Studio Åkesson", "chloe", "active", "referral", "Nordics",
        "studioakesson.se", "+46 8 611 ## ##", "Götgatan 22, 118 46 Stockholm, Sweden",
        (("Mette Nørgaard", "Creative Director"), ("Erik Åkesson", "Founder")),
        cadence_days=60,
        notes="White-label partner: they design, we build.\nInvoices in EUR, net 30.",
    ),
    _ClientSpec(
        "riverside", "Riverside Dental Group", "Riverside Dental", "ben", "lead", "website",
        "UK & Ireland", "riversidedental.co.uk", "+44 161 496 0###",
        "22 Deansgate, Manchester M3 1RH, United Kingdom",
        (("Dr. Oliver Grant", "Practice Owner"), ("Hannah Price", "Practice Manager")),
        tags=("smb",),
    ),
    _ClientSpec(
        "zenith", "Zenith Fitness Studios", "Zenith Fitness", "ann", "prospect", "outbound",
        "DACH", "zenith-fitness.de", "+49 221 9384 ####",
        "Hohenzollernring 58, 50672 Köln, Germany",
        (("Deniz Yılmaz", "Head of Operations"), ("Julia Kern", "Marketing Manager")),  # noqa: RUF001
        tags=("smb",),
    ),
    _ClientSpec(
        "orchard", "Orchard & Vine Wines", "Orchard & Vine", "ben", "prospect", "partner",
        "UK & Ireland", "orchardandvine.co.uk", "+44 1273 496 ###",
        "7 Kensington Gardens, Brighton BN1 4AL, United Kingdom",
        (("Charlotte Hughes", "Founder"), ("Sam Patel", "Operations Lead")),
        tags=("ecommerce", "smb"),
    ),
    _ClientSpec(
        "lindner", "Dr. Sophie Lindner", "Praxis Lindner", "ann", "lead", "referral", "DACH",
        "praxis-lindner.de", "+49 30 8857 ####", "Kantstraße 31, 10625 Berlin, Germany",
        (("Dr. Sophie Lindner", "Psychotherapist"),),
        type="person",
        notes="Private practice; wants a calm, accessible site with online appointment requests.",
    ),
    _ClientSpec(
        "caron", "Émilie Caron", "Émilie Caron", "chloe", "lead", "website", "France",
        "emiliecaron.fr", "+33 6 ## ## ## ##", "Nantes, France",
        (("Émilie Caron", "Illustrator"),),
        type="person",
    ),
    _ClientSpec(
        "lindqvist", "Jonas Lindqvist", "Jonas Lindqvist", "chloe", "prospect", "referral",
        "Nordics", "jonaslindqvist.com", "+46 70 ### ## ##", "Uppsala, Sweden",
        (("Jonas Lindqvist", "Author"),),
        type="person",
    ),
)
# fmt: on

_MOBILE = {
    "+49": "+49 15# #### ####",
    "+43": "+43 664 ### ####",
    "+33": "+33 6 ## ## ## ##",
    "+31": "+31 6 #### ####",
    "+47": "+47 9## ## ###",
    "+46": "+46 70 ### ## ##",
    "+358": "+358 40 ### ####",
    "+44": "+44 7700 900###",  # Ofcom's range for fiction
    "+1": "+1 617 555 01##",  # 555-01xx: fictional
}


# --- the deals --------------------------------------------------------------------------


@dataclass(frozen=True)
class _DealSpec:
    client: str  # a _ClientSpec.key
    what: str  # the title after the client's short name
    stage: str
    created: int  # days before today the deal was created
    last: int  # days before today of its last stage change, or of its closing
    amount: str | None = None
    currency: str | None = None  # the workspace's when unset
    status: str = "open"
    pipeline: str = "sales"
    lost_reason: str | None = None
    tags: tuple[str, ...] = ()
    close_in: int | None = None  # open deals: expected close, days after today
    probability: int | None = None
    path: tuple[str, ...] = ()  # every stage it went through, when not the straight road
    days: tuple[int, ...] = ()  # days before today of each entry of `path`, when fixed
    rotting: bool = False  # idle for longer than its stage allows, on purpose
    owner: str | None = None  # the client's owner when unset
    notes: str | None = None


P = "partnerships"
# fmt: off
DEALS: tuple[_DealSpec, ...] = (
    # won
    _DealSpec("acme", "website relaunch", "negotiation", 240, 150, "48000", status="won",
              tags=("website", "enterprise")),
    _DealSpec("acme", "support retainer 2026", "negotiation", 165, 140, "18000", status="won",
              tags=("retainer",), path=("qualified", "proposal", "negotiation")),
    _DealSpec("muller", "online shop", "negotiation", 210, 120, "32500", status="won",
              tags=("ecommerce", "website")),
    _DealSpec("cafe", "website and table booking", "proposal", 200, 170, "6800", status="won",
              tags=("website", "smb")),
    _DealSpec("nordlicht", "customer portal phase 1", "negotiation", 232, 95, "96000",
              status="won", tags=("app", "enterprise"),
              path=("lead", "qualified", "proposal", "negotiation", "proposal", "negotiation"),
              notes="Phase 1: login, policy overview, document inbox.\n"
              "Went back to proposal once when their security team added SSO."),
    _DealSpec("maison", "Shopify migration", "negotiation", 150, 40, "41250", status="won",
              tags=("ecommerce",)),
    _DealSpec("greenleaf", "donation platform", "negotiation", 130, 30, "24000", "GBP",
              status="won", tags=("nonprofit", "website")),
    _DealSpec("backerei", "pre-order app", "negotiation", 90, 20, "12400", status="won",
              tags=("app", "smb")),
    _DealSpec("akesson", "white-label design partnership", "agreement", 120, 60, "15000",
              status="won", pipeline=P),
    # lost
    _DealSpec("oakridge", "website refresh", "proposal", 200, 150, "9500", "GBP", status="lost",
              lost_reason="price", tags=("website",)),
    _DealSpec("brauhaus", "beer garden event microsite", "qualified", 180, 140, status="lost",
              lost_reason="timing", tags=("website",)),
    _DealSpec("stadtwerke", "accessibility audit", "negotiation", 170, 100, "28000",
              status="lost", lost_reason="competitor", tags=("public-sector",)),
    _DealSpec("riverside", "patient portal", "lead", 100, 70, "22000", "GBP", status="lost",
              lost_reason="no response"),
    _DealSpec("zenith", "member app", "proposal", 120, 75, "38000", status="lost",
              lost_reason="no budget", tags=("app",)),
    _DealSpec("lumen", "investor microsite", "qualified", 110, 85, "8000", "USD", status="lost",
              lost_reason="in-house", tags=("website", "startup")),
    _DealSpec("oakridge", "referral partnership", "intro", 95, 60, "6000", "GBP", status="lost",
              lost_reason="timing", pipeline=P),
    # open: sales / lead
    _DealSpec("pixelforge", "community website", "lead", 5, 5, tags=("startup", "website")),
    _DealSpec("riverside", "online booking", "lead", 25, 25, "7500", "GBP", rotting=True),
    _DealSpec("helsinki", "festival website", "lead", 9, 9, "9000", close_in=75,
              tags=("nonprofit", "website")),
    _DealSpec("lindner", "website", "lead", 3, 3, "4200", tags=("website",)),
    _DealSpec("caron", "portfolio website", "lead", 11, 11, "2850.50", tags=("website",)),
    _DealSpec("brightwater", "symptom checker prototype", "lead", 6, 6, "60000", "USD",
              tags=("app",)),
    # open: sales / qualified
    _DealSpec("brightwater", "patient portal redesign", "qualified", 70, 30, "145000", "USD",
              close_in=100, tags=("app", "enterprise"), rotting=True),
    _DealSpec("vdb", "portfolio website", "qualified", 20, 8, "14500", close_in=45,
              tags=("website",)),
    _DealSpec("quantum", "dashboard UX audit", "qualified", 15, 4, "11000", close_in=30,
              tags=("app", "startup")),
    _DealSpec("muller", "B2B ordering portal", "qualified", 28, 10, "38000", close_in=60,
              tags=("ecommerce",)),
    _DealSpec("orchard", "wine club subscriptions", "qualified", 18, 6, "16500", "GBP",
              close_in=40, tags=("ecommerce",)),
    # open: sales / proposal
    _DealSpec("kolibri", "booking engine", "proposal", 200, 6, "52000", close_in=35,
              tags=("ecommerce",), lost_reason="timing",
              path=("lead", "qualified", "qualified:lost", "qualified:open", "proposal"),
              days=(200, 185, 150, 30, 6),
              notes="Lost once (timing): their old booking system was under contract.\n"
              "Markus called back when the contract was ending; the budget is free now."),
    _DealSpec("lumen", "fleet dashboard", "proposal", 50, 18, "88000", "USD", close_in=20,
              tags=("app", "startup"), rotting=True),
    _DealSpec("stadtwerke", "citizen services portal", "proposal", 60, 5, "120000",
              close_in=90, tags=("public-sector", "website"), path=("lead", "proposal"),
              notes="Open tender (VgV). Submission deadline in December.\n"
              "Frank says accessibility (BITV 2.0) is a hard criterion."),
    _DealSpec("fjordline", "headless storefront", "proposal", 45, 3, "64000", close_in=40,
              tags=("ecommerce",)),
    _DealSpec("lindqvist", "author website", "proposal", 20, 7, "3900", close_in=21,
              tags=("website",)),
    # open: sales / negotiation
    _DealSpec("nordlicht", "customer portal phase 2", "negotiation", 80, 4, "132000",
              close_in=20, probability=85, tags=("app", "enterprise"),
              path=("qualified", "proposal", "negotiation", "proposal", "negotiation")),
    _DealSpec("maison", "loyalty programme", "negotiation", 40, 12, "27500", close_in=-3,
              tags=("ecommerce",), rotting=True),
    _DealSpec("greenleaf", "hosting and care plan", "negotiation", 25, 2, "7200.00", "GBP",
              close_in=9, tags=("retainer", "nonprofit")),
    _DealSpec("zenith", "website refresh", "negotiation", 35, 5, "15800", close_in=14,
              tags=("website",)),
    _DealSpec("acme", "driver onboarding app", "negotiation", 65, 6, "74000", close_in=30,
              tags=("app", "enterprise")),
    # open: partnerships
    _DealSpec("quantum", "integration partnership", "intro", 50, 50, "20000", pipeline=P,
              rotting=True),
    _DealSpec("fjordline", "Nordic referral partnership", "pilot", 70, 20, "12000", pipeline=P),
    _DealSpec("vdb", "referral partnership", "agreement", 40, 5, "10000", pipeline=P,
              path=("intro", "agreement"), owner="ann"),
)
# fmt: on

_EVENTS = (
    "Webinale in Berlin",
    "DMEXCO in Cologne",
    "Web Summit in Lisbon",
    "Smashing Conference in Freiburg",
    "Nordic Design Days",
)
_LOST_WHY = {
    "price": "our quote was above what they can spend",
    "timing": "the project is postponed to next year",
    "competitor": "they chose another agency",
    "no budget": "the budget was cut this year",
    "no response": "no reply after three follow-ups",
    "scope": "they need far less than we offer",
    "in-house": "they will build it with their own developers",
}
_CALL_NOTES = (
    "- Current site is WordPress, slow on mobile\n- Must launch before the spring season\n"
    "- {first} decides, finance signs off above 20k",
    "- Three user groups: customers, staff, partners\n- SSO with Microsoft Entra ID\n"
    "- Budget approved; timeline is the open question",
    "- Wants to sell online within six months\n- Content exists, photos do not\n"
    "- Asked for two references in the same industry",
)
_FILL = (
    ("call", "Check-in call with {first}", "All fine; asked about adding a blog"),
    (
        "meeting",
        "Quarterly review with {first}: traffic, conversions and the roadmap",
        "Agreed the priorities for next quarter",
    ),
    ("email", "Sent the monthly analytics report to {first}", None),
    ("email", "{first} reported a broken contact form; fixed the same day", "Resolved"),
    ("note", "{first} asked that invoices go to the accounting address from now on", None),
    ("call", "{first} asked about the accessibility rules coming into force", "Sending a guide"),
    ("meeting", "Lunch with {first}", "Mentioned a sister company that needs a new site"),
)


# --- the knowledge base -------------------------------------------------------------------

KB_PAGES = {
    "discovery-call-script.md": """\
# Discovery call script

The first real conversation with a qualified lead: 30 minutes, video or phone.
The goal is to decide *together* whether there is a project worth proposing, and what it is.
Entering the *qualified* stage creates the task "Schedule a discovery call".

## Before the call (10 minutes)
- Read the client's record and its last activities; check who referred them.
- Open their current site on a phone and note three concrete problems.
- Have two reference projects from a similar industry ready to mention.

## Opening (2 minutes)
- "Thanks for making the time. I'd like to understand what you want to achieve, and then
  tell you honestly whether we are a good fit. Does that work for you?"
- Confirm the time box: "We have 30 minutes; I'll keep an eye on the clock."

## Their situation (10 minutes)
1. What made you look for help now? What happens if you do nothing this year?
2. Who uses the site or app today, and what do they come to do?
3. What works well that we must not break?
4. How will you measure success: leads, sales, bookings, fewer support calls?
5. Which systems must it talk to (shop, CRM, booking, ERP, single sign-on)?

## Budget, timing and decision (8 minutes)
- "Projects like this usually land between X and Y. Is that the range you had in mind?"
- Is there a date that matters: a launch, a trade fair, the end of a budget year?
- Who else takes part in the decision, and how do you usually choose a supplier?
- Are you talking to other agencies? Ask plainly, without judgement.

## Close (5 minutes)
- Summarise in three sentences and ask: "Did I get that right?"
- Agree the next step *with a date*: a proposal, a workshop, or an honest "not now".
- Not a fit? Say so, and recommend someone who is. It pays back in referrals.

## After the call (same day)
- Log the call: `tcrm log <client> "call: <what you learnt>"`, with the outcome.
- Set the deal's amount to your estimate and move it to *proposal* (the stage needs an
  amount), or close it as lost with the reason from the list.
- Put the open questions into the proposal task's notes, so nobody asks twice.

## Red flags
- No budget range at all after a direct question.
- "We need it in four weeks" for a project of three months.
- The decision maker never joins a call.
""",
    "objection-handling.md": """\
# Objection handling FAQ

What we hear most often in proposal and negotiation, and what has worked for us.
Listen first, ask one question back, then answer. Never argue with a feeling.

## "You are more expensive than the other offer."
- Ask: "Is it the total, or the monthly cost after launch?" Then compare like with like.
- Walk through what is included: accessibility, tests, hosting setup, training, warranty.
- Offer to remove scope (phase 2), never to cut the day rate.

## "We have no budget right now."
- Ask when the next budget year starts and who prepares it; offer a short estimate for it.
- Propose a paid discovery workshop (1-2 days) that produces a plan they can budget.
- Close the deal as lost with reason *no budget* and set a task to call back before
  the budget round. A lost deal can be reopened.

## "Can you just do the design? Our IT will build it."
- That is fine: sell the design system and a developer handover, priced separately.
- Offer code reviews during their build, by the hour.

## "We need it live in four weeks."
- Ask what happens on that date. Often a landing page on time plus the full site later
  meets the real need.
- Never promise a date the team has not seen. Check capacity before the next call.

## "Our last agency let us down."
- Ask what went wrong, and take notes: it is their list of fears.
- Answer with process: fortnightly demos, a shared board, fixed contacts, a warranty.
- Offer two references they can call without us on the line.

## "Why not a website builder (Wix, Squarespace)?"
- For a small brochure site it may be the right answer; say so.
- We earn our price with integrations, performance, accessibility and content workflows.

## "We have to ask the board / our boss."
- Ask what the board needs to decide: a one-page summary, options, references?
- Offer to join the meeting for ten minutes, or write the summary for them.
- Agree a date to follow up and put it in a task.

## "Can you do it for a fixed price?"
- Yes, for a fixed scope: a written list of pages, features and integrations.
- Changes go through a simple change request with a price before the work starts.

## "What happens after launch?"
- Care plans: updates, backups, monitoring and a few hours of small changes a month.
- The first 60 days of bug fixes are included in every project.
""",
}


# --- building the records -----------------------------------------------------------------


def _next_weekday(day: date, weekday: int) -> date:
    """The first ``weekday`` (0 = Monday) on or after ``day``."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _last_weekday_of_month(year: int, month: int, weekday: int) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


class _Builder:
    """Builds the records in a fixed order, so the seeded random numbers are always the same."""

    def __init__(self, settings: Settings, today: date, seed: int) -> None:
        self.settings = settings
        self.today = today
        self.rng = random.Random(seed)
        self.clients: dict[str, Client] = {}  # spec key -> client
        self.deals: list[tuple[_DealSpec, Deal]] = []
        self.tasks: list[Task] = []
        self.activities: list[Activity] = []
        self._taken: set[str] = set()

    # --- helpers -----------------------------------------------------------------------

    def tz(self, member: str) -> ZoneInfo:
        return ZoneInfo(self.settings.member_timezone(member))

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    def workday(self, offset: int) -> date:
        """A due day ``offset`` days away, off the weekend: later ones to Monday, earlier to
        Friday (so a task stays overdue, or upcoming, whatever weekday ``today`` is)."""
        day = self.day(offset)
        if offset == 0 or day.weekday() < 5:
            return day
        return day + timedelta(days=7 - day.weekday()) if offset > 0 else _friday_before(day)

    def moment(self, day: date, member: str, first_hour: int = 9, last_hour: int = 17) -> datetime:
        """A working-hours moment of ``day`` (a weekend: the Friday before) in the member's
        time zone."""
        day = _friday_before(day)
        hour = self.rng.randint(first_hour, last_hour - 1)
        minute = self.rng.randrange(0, 60, 5)
        return datetime.combine(day, time(hour, minute), tzinfo=self.tz(member))

    def short_id(self, prefix: str) -> str:
        while True:
            candidate = prefix + "".join(self.rng.choice(ID_ALPHABET) for _ in range(7))
            if candidate not in self._taken:
                self._taken.add(candidate)
                return candidate

    def digits(self, pattern: str) -> str:
        return "".join(str(self.rng.randint(0, 9)) if c == "#" else c for c in pattern)

    # --- clients -------------------------------------------------------------------------

    def build_clients(self) -> None:
        first_deal: dict[str, int] = {}  # client key -> days since its first deal
        for deal_spec in DEALS:
            first_deal[deal_spec.client] = max(
                first_deal.get(deal_spec.client, 0), deal_spec.created
            )
        for spec in CLIENTS:
            mobile = _MOBILE[spec.phone.split()[0]]
            contacts = []
            for i, (name, role) in enumerate(spec.contacts):
                own_person = spec.type == "person"
                email = f"hello@{spec.domain}" if own_person else _email(name, spec.domain)
                phones = [self.digits(mobile)] if own_person or self.rng.random() < 0.6 else []
                notes = spec.contact_notes[i] if i < len(spec.contact_notes) else None
                contacts.append(
                    Contact(name=name, role=role, emails=[email], phones=phones, notes=notes)
                )
            created_day = self.day(-first_deal[spec.key] - self.rng.randint(1, 25))
            self.clients[spec.key] = Client(
                id=slugify(spec.name),
                name=spec.name,
                type=spec.type,  # type: ignore[arg-type]
                status=spec.status,
                owner=spec.owner,
                source=spec.source,
                region=spec.region,
                tags=list(spec.tags),
                website=f"https://{'' if spec.type == 'person' else 'www.'}{spec.domain}",
                emails=[] if spec.type == "person" else [f"hello@{spec.domain}"],
                phones=[self.digits(spec.phone)],
                address=spec.address,
                cadence_days=spec.cadence_days,
                contacts=contacts,
                created=self.moment(created_day, spec.owner),
                notes=spec.notes,
            )

    # --- deals and the activities around them --------------------------------------------

    def build_deals(self) -> list[tuple[Activity, bool]]:
        """The deals, and the activities their history implies (each: whether to keep it)."""
        events: list[tuple[Activity, bool]] = []
        for spec in DEALS:
            client = self.clients[spec.client]
            owner = spec.owner or client.owner or "ann"
            pipeline = self.settings.pipeline(spec.pipeline)
            if pipeline is None:
                raise ValueError(f"unknown pipeline {spec.pipeline!r}")
            path = (
                list(spec.path)
                or pipeline.stage_ids()[: pipeline.stage_ids().index(spec.stage) + 1]
            )
            entries = [(p.partition(":")[0], p.partition(":")[2] or None) for p in path]
            closed = spec.status != "open"
            if closed:
                entries.append((spec.stage, spec.status))
            days = list(spec.days) or self.spread(spec.created, spec.last, len(entries))
            weekdays = [(self.today - _friday_before(self.day(-ago))).days for ago in days]
            if all(a > b for a, b in pairwise(weekdays)):
                days = weekdays
            history = [
                StageChange.model_validate(
                    {
                        "at": self.moment(self.day(-ago), owner, 10, 17),
                        "stage": stage,
                        "status": status,
                    }
                )
                for (stage, status), ago in zip(entries, days, strict=True)
            ]
            closed_day = history[-1].at.date() if closed else None
            contacts = [c.name for c in client.contacts[: 1 + (len(client.contacts) > 2)]]
            close_date = closed_day
            if not closed and spec.close_in is not None:
                close_date = self.workday(spec.close_in)
            deal = Deal(
                id=slugify(f"{self.short(spec)} {spec.what}"),
                title=f"{self.short(spec)} {spec.what}",
                client=client.id,
                pipeline=spec.pipeline,
                stage=spec.stage,
                status=spec.status,  # type: ignore[arg-type]
                amount=Decimal(spec.amount) if spec.amount else None,
                currency=spec.currency,
                probability=spec.probability,
                close_date=close_date,
                owner=owner,
                source=client.source,
                tags=list(spec.tags),
                contacts=contacts,
                lost_reason=spec.lost_reason if spec.status == "lost" else None,
                closed=closed_day,
                created=history[0].at,
                stage_history=history,
                notes=spec.notes,
            )
            self.deals.append((spec, deal))
            events.extend(self.deal_events(spec, deal, client))
        return events

    def short(self, spec: _DealSpec) -> str:
        return next(c.short for c in CLIENTS if c.key == spec.client)

    def spread(self, start: int, end: int, n: int) -> list[int]:
        """``n`` strictly decreasing day offsets from ``start`` to ``end`` days ago."""
        if n == 1:
            if start != end:
                raise ValueError(f"a one-entry history starts and ends on one day ({start}, {end})")
            return [start]
        if start - end < n - 1:
            raise ValueError(f"{n} stage entries do not fit between {start} and {end} days ago")
        points = [start - round(i * (start - end) / (n - 1)) for i in range(n)]
        for i in range(1, n - 1):  # a little jitter, keeping the order
            moved = points[i] + self.rng.randint(-2, 2)
            if points[i - 1] > moved > points[i + 1]:
                points[i] = moved
        return points

    def deal_events(
        self, spec: _DealSpec, deal: Deal, client: Client
    ) -> list[tuple[Activity, bool]]:
        owner = deal.owner or "ann"
        first = _addressed(deal.contacts[0])
        money = (
            f"{deal.amount:,.0f} {deal.currency or self.settings.currency}" if deal.amount else ""
        )
        what = spec.what
        out: list[tuple[Activity, bool]] = []
        history = deal.stage_history
        ids = self.settings.pipeline(deal.pipeline).stage_ids()  # type: ignore[union-attr]
        for i, change in enumerate(history):
            notes = None
            outcome = None
            if i == 0:
                kind, summary, outcome = self.first_contact(deal, client, first, what)
            elif change.status == "won":
                kind, summary = "email", f"Signed contract for the {what} received from {first}"
                outcome = f"Won ({money}); kick-off to schedule"
            elif change.status == "lost":
                reason = deal.lost_reason or spec.lost_reason or "timing"
                kind = "note" if reason == "no response" else "call"
                summary = f"{first} declined the {what}: {_LOST_WHY[reason]}"
                outcome = f"Lost ({reason})"
            elif change.status == "open":
                kind, summary = "call", f"{first} called back: the {what} is on again"
                outcome = "Reopened; proposal to follow"
            elif ids.index(change.stage) < ids.index(history[i - 1].stage):
                kind, summary = "call", f"{first} asked for a revised scope for the {what}"
                outcome = "Back to the proposal"
            elif change.stage == "qualified":
                kind = self.rng.choice(["call", "meeting"])
                summary = f"First {kind} with {first} on the {what}: need, budget and timing"
                outcome = "Qualified; discovery call to schedule"
                if self.rng.random() < 0.35:
                    notes = self.rng.choice(_CALL_NOTES).format(first=first)
            elif change.stage == "proposal":
                kind, summary = "email", f"Sent the proposal for the {what} ({money}) to {first}"
            elif change.stage == "negotiation":
                kind = "meeting"
                summary = f"Negotiation with {first}: scope, milestones and payment terms"
                outcome = self.rng.choice(
                    [
                        "Agreed to split into two phases",
                        "Asked for 5% off for a 24-month care plan",
                        "Legal review of the contract on their side",
                    ]
                )
            elif change.stage == "pilot":
                kind, summary = "meeting", f"Kick-off of the referral pilot with {first}"
            elif change.stage == "agreement":
                kind, summary = "email", f"Sent the draft partnership agreement to {first}"
            else:
                kind, summary = "note", f"Moved the {what} to {change.stage}"
            delta = timedelta(minutes=self.rng.choice([20, 30, 45, 60, 90]))
            # what made the deal move happened just before; a proposal is sent just after
            at = (
                change.at + delta
                if change.stage == "proposal" and change.status is None
                else (change.at - delta)
            )
            keep = change.status is not None or len(history) == 1  # closings, first contacts
            out.append(
                (self.activity(kind, at, summary, client, deal, outcome, notes, owner), keep)
            )
        last_ago = (self.today - history[-1].at.date()).days
        if deal.status == "open" and not spec.rotting and last_ago >= 3 and self.rng.random() < 0.6:
            kind, summary = {
                "qualified": (
                    "email",
                    f"Sent {first} a short questionnaire on content and integrations",
                ),
                "proposal": ("call", f"Walked {first} through the proposal; questions on hosting"),
                "negotiation": ("email", f"Sent the revised contract draft to {first}"),
                "pilot": ("call", f"Pilot check-in with {first}: two referrals exchanged so far"),
                "agreement": (
                    "email",
                    f"{first} returned the agreement with their lawyer's comments",
                ),
            }.get(deal.stage, ("email", f"Sent {first} two reference projects"))
            day = self.day(-self.rng.randint(1, last_ago - 1))
            at = self.moment(day, owner)
            out.append((self.activity(kind, at, summary, client, deal, None, None, owner), True))
        return out

    def first_contact(
        self, deal: Deal, client: Client, first: str, what: str
    ) -> tuple[str, str, str | None]:
        source = deal.source
        if deal.pipeline == "partnerships":
            return "meeting", f"Partnership intro with {first}: how we could work together", None
        if source == "website":
            return "email", f"Enquiry via the website form: {what}", "Replied with slots for a call"
        if source == "event":
            return (
                "meeting",
                f"Met {first} at {self.rng.choice(_EVENTS)}; talked about the {what}",
                None,
            )
        if source == "outbound":
            return "email", f"Cold email to {first} about the {what}", "Positive reply"
        if source == "linkedin":
            return "note", f"{first} reached out on LinkedIn about the {what}", None
        if source == "partner":
            return "call", f"Partner intro: call with {first} about the {what}", None
        return (
            "call",
            f"Intro call with {first} (referral) about the {what}",
            "Send a first estimate",
        )

    def activity(
        self,
        kind: str,
        at: datetime,
        summary: str,
        client: Client,
        deal: Deal | None,
        outcome: str | None,
        notes: str | None,
        author: str,
    ) -> Activity:
        contact = deal.contacts[:1] if deal else [c.name for c in client.contacts[:1]]
        return Activity(
            id="a0000000",  # the final id is drawn once the activity is kept
            kind=kind,
            at=at.astimezone(self.tz(author)),
            summary=summary,
            clients=[client.id],
            deals=[deal.id] if deal else [],
            contacts=contact,
            outcome=outcome,
            author=author,
            notes=notes,
        )

    def build_activities(self, events: list[tuple[Activity, bool]]) -> None:
        """80 activities: the deals' key moments, others spread evenly over the months, and
        check-ins with active clients (not those with a rotting deal: they are neglected)."""
        earliest = self.day(-ACTIVITY_WINDOW_DAYS)
        events = [(a, keep) for a, keep in events if a.at.date() >= earliest or keep]
        chosen = [a for a, keep in events if keep]
        by_month: dict[tuple[int, int], list[Activity]] = {}
        for activity, keep in events:
            if not keep:
                by_month.setdefault((activity.at.year, activity.at.month), []).append(activity)
        for group in by_month.values():
            self.rng.shuffle(group)
        fill = 18
        wanted = COUNTS["activity"] - fill - len(chosen)
        if not 0 <= wanted <= sum(map(len, by_month.values())):
            raise ValueError(f"cannot pick {wanted} of the deals' activities")
        while wanted:  # round robin over the months, so no month crowds out the others
            for group in by_month.values():
                if group and wanted:
                    chosen.append(group.pop())
                    wanted -= 1
        rotting_clients = {d.client for s, d in self.deals if s.rotting}
        regulars = [
            c for c in self.clients.values() if c.status == "active" and c.id not in rotting_clients
        ]
        pairs = self.rng.sample([(c, f) for c in regulars for f in _FILL], fill)
        slot = (ACTIVITY_WINDOW_DAYS - 5) / fill
        for i, (client, (kind, text, outcome)) in enumerate(pairs):
            first = _addressed(client.contacts[0].name)
            author = client.owner or "ann"
            ago = self.rng.randint(1 + round(i * slot), round((i + 1) * slot))
            at = self.moment(self.day(-ago), author)
            chosen.append(
                self.activity(
                    kind, at, text.format(first=first), client, None, outcome, None, author
                )
            )
        chosen.sort(key=lambda a: (a.at, a.summary))
        self.activities = [a.model_copy(update={"id": self.short_id("a")}) for a in chosen]

    # --- tasks -----------------------------------------------------------------------------

    def deal(self, key: str, what: str) -> Deal:
        return next(d for s, d in self.deals if s.client == key and s.what == what)

    def task(
        self,
        title: str,
        assignee: str,
        due: date | datetime | None = None,
        *,
        clients: tuple[str, ...] = (),
        deal: Deal | None = None,
        status: str = "open",
        completed_day: int | None = None,
        created: datetime | None = None,
        completed: datetime | None = None,
        **fields: object,
    ) -> Task:
        """A task; links the deal's client and contact, and dates its creation and completion."""
        client_ids = [self.clients[k].id for k in clients]
        contacts: list[str] = []
        if deal is not None:
            client_ids = client_ids or [deal.client]
            contacts = deal.contacts[:1]
        elif clients:
            contacts = [self.clients[clients[0]].contacts[0].name]
        due_day = due.date() if isinstance(due, datetime) else due
        if completed is None and completed_day is not None:
            completed = self.moment(self.day(completed_day), assignee)
        if created is None:
            base = min(
                due_day or self.today, self.today, completed.date() if completed else self.today
            )
            created = self.moment(base - timedelta(days=self.rng.randint(2, 20)), assignee)
        task_id = self.short_id("t")
        repeat = fields.get("repeat")
        return Task(
            id=task_id,
            title=title,
            status=status,  # type: ignore[arg-type]
            due=due,
            assignee=assignee,
            clients=client_ids,
            deals=[deal.id] if deal else [],
            contacts=contacts,
            series=task_id if repeat else None,
            created=created,
            completed=completed,
            **fields,  # type: ignore[arg-type]
        )

    def build_tasks(self) -> None:
        t, d, at = self.today, self.workday, self._at
        # Tasks the stage templates created when open deals entered their current stage.
        for spec, deal in self.deals:
            pipeline = self.settings.pipeline(deal.pipeline)
            stage = pipeline.stage(deal.stage) if pipeline else None
            if deal.status != "open" or stage is None or not stage.tasks:
                continue
            entered = deal.stage_history[-1].at
            for i, template in enumerate(stage.tasks):
                due = entered.date() + timedelta(days=template.due_in_days)
                neglected = spec.rotting and i == len(stage.tasks) - 1
                done = due < t and not neglected
                completed = None
                if done:  # on a working day between entering the stage and the due day
                    day = entered.date() + timedelta(days=self.rng.randint(0, template.due_in_days))
                    completed = self.moment(min(day, t - timedelta(days=1)), deal.owner or "ann")
                    if completed <= entered:
                        completed = entered + timedelta(minutes=self.rng.choice([15, 40, 75]))
                self.tasks.append(
                    self.task(
                        template.title,
                        deal.owner or "ann",
                        due,
                        deal=deal,
                        status="done" if done else "open",
                        priority=template.priority,
                        created=entered + timedelta(minutes=1),
                        completed=completed,
                    )
                )
        monday = _next_weekday(t, 0)
        first_of_month = (t.replace(day=1) + timedelta(days=32)).replace(day=1)
        month_end_friday = _last_weekday_of_month(t.year, t.month, 4)
        if month_end_friday < t:
            month_end_friday = _last_weekday_of_month(first_of_month.year, first_of_month.month, 4)
        last_friday = _next_weekday(t, 4) - timedelta(days=7)
        if last_friday >= t:
            last_friday -= timedelta(days=7)
        dst_due = datetime(2026, 3, 29, 9, 30)
        dst_done = dst_due.date() < t
        nordlicht2 = self.deal("nordlicht", "customer portal phase 2")
        berlin = ZoneInfo("Europe/Berlin")
        # fmt: off
        self.tasks += [
            # recurring
            self.task("Weekly pipeline review", "ann", datetime.combine(monday, time(9, 30)),
                      repeat="FREQ=WEEKLY;BYDAY=MO", duration=45, reminders=["15m"],
                      priority="medium",
                      notes="Every open deal: next step, date and amount.\nRotting deals first."),
            self.task("Send the monthly retainer invoices", "ann", first_of_month,
                      clients=("acme", "nordlicht"), repeat="FREQ=MONTHLY;BYMONTHDAY=1",
                      reminders=["1d"], priority="high"),
            self.task("Fortnightly check-in with Nordlicht", "ann",
                      datetime.combine(_next_weekday(t, 3), time(11, 0)), clients=("nordlicht",),
                      repeat="FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", duration=30, reminders=["30m"]),
            self.task("Weekly US pipeline call", "ben",
                      datetime.combine(_next_weekday(t, 1), time(10, 0)),
                      timezone="America/New_York", repeat="FREQ=WEEKLY;BYDAY=TU", duration=30,
                      reminders=["10m"]),
            self.task("Publish a case study on the blog", "chloe", month_end_friday,
                      repeat="FREQ=MONTHLY;BYDAY=-1FR", priority="low"),
            self.task("Review and update the knowledge base", "chloe", last_friday,
                      repeat="FREQ=WEEKLY;BYDAY=FR", priority="low"),
            # due today
            self.task("Call Jana about the onboarding app scope", "ann", at(0, 10, 0),
                      deal=self.deal("acme", "driver onboarding app"), reminders=["30m"],
                      priority="high"),
            self.task("Prepare the workshop agenda for Nordlicht phase 2", "ann", t,
                      deal=nordlicht2, priority="medium"),
            self.task("Send the revised quote to Greenleaf", "ben", at(0, 14, 30),
                      timezone="Europe/London", reminders=["1h"], priority="high",
                      deal=self.deal("greenleaf", "hosting and care plan")),
            self.task("Reply to Élodie about the winter menu page", "chloe", t, clients=("cafe",),
                      priority="low"),
            # overdue
            self.task("Chase the open invoice from Müller & Söhne", "ann", d(-3),
                      clients=("muller",), priority="high",
                      notes="Invoice 2026-118 over 8,125 EUR, due 30 days after delivery.\n"
                      "Sabine handles payments."),
            self.task("Send the NDA to Quantum Ledger", "chloe", d(-12),
                      deal=self.deal("quantum", "integration partnership")),
            self.task("Ask Riverside Dental for access to their booking system", "ben", d(-9),
                      deal=self.deal("riverside", "online booking")),
            self.task("Renew the SSL certificate of cafe-lumiere.fr", "chloe", d(-1),
                      clients=("cafe",), reminders=["1d"], priority="high"),
            self.task("Follow up with Camille on the loyalty terms", "chloe", d(-5),
                      deal=self.deal("maison", "loyalty programme"), priority="high"),
            self.task("Answer Lumen's security questionnaire", "ben", at(-2, 16, 0),
                      timezone="America/New_York", deal=self.deal("lumen", "fleet dashboard"),
                      priority="medium"),
            self.task("Update the Kolibri proposal with the new API pricing", "ann", d(-2),
                      deal=self.deal("kolibri", "booking engine"), priority="high"),
            # upcoming
            self.task("Review the Zenith website refresh contract", "ann", d(1),
                      deal=self.deal("zenith", "website refresh")),
            self.task("Invite Pixelforge to a discovery call", "ann", d(1),
                      deal=self.deal("pixelforge", "community website")),
            self.task("Design review with Bäckerei Schröder", "ann", at(2, 15, 0),
                      deal=self.deal("backerei", "pre-order app"), duration=60, reminders=["1h"]),
            self.task("Send Orchard & Vine the subscription requirements checklist", "ben", d(2),
                      deal=self.deal("orchard", "wine club subscriptions")),
            self.task("Draft the contract for Nordlicht phase 2", "ann", d(3), deal=nordlicht2,
                      priority="high"),
            self.task("Send Brightwater the HIPAA hosting one-pager", "ben", d(3),
                      deal=self.deal("brightwater", "symptom checker prototype")),
            self.task("Demo the fleet dashboard prototype to Lumen", "ben", at(4, 11, 0),
                      timezone="America/New_York", deal=self.deal("lumen", "fleet dashboard"),
                      duration=45, reminders=["1d", "30m"], priority="high"),
            self.task("Call Dr. Lindner about the page content", "ann", d(4),
                      deal=self.deal("lindner", "website")),
            self.task("Prepare the pitch deck for Helsinki Design Collective", "chloe", d(5),
                      deal=self.deal("helsinki", "festival website")),
            self.task("Check the Fjordline storefront performance budget", "chloe", d(6),
                      deal=self.deal("fjordline", "headless storefront"), priority="low"),
            self.task("Catch up with Mette at Studio Åkesson", "chloe", d(8), clients=("akesson",)),
            self.task("Confirm the hosting renewal date with Greenleaf", "ben", d(9),
                      clients=("greenleaf",)),
            self.task("Prepare the tender documents for Stadtwerke Lindenau", "ann", d(10),
                      deal=self.deal("stadtwerke", "citizen services portal"), reminders=["1d"],
                      priority="high",
                      notes="Checklist: references (3), BITV 2.0 statement, price sheet, "
                      "team CVs.\nSubmission only through the e-tender platform."),
            self.task("Send Christmas cards to key clients", "chloe", d(17), priority="low"),
            self.task("Quarterly business review with Acme Logistics", "ann", at(17, 10, 0),
                      clients=("acme",), duration=90, reminders=["1d"]),
            self.task("Renew the domain maison-delacroix.fr", "chloe", d(30), clients=("maison",),
                      reminders=["1w"]),
            self.task("Plan the 2027 retainer pricing", "ann", d(46), priority="medium"),
            # done
            self.task("Switch the Fjordline spring campaign live", "chloe", dst_due,
                      timezone="Europe/Berlin", clients=("fjordline",), reminders=["30m"],
                      status="done" if dst_done else "open",
                      completed=datetime(2026, 3, 29, 9, 50, tzinfo=berlin) if dst_done else None,
                      notes="Sunday morning launch, the day the clocks go forward."),
            self.task("Hand over the Acme Logistics website documentation", "ann", d(-142),
                      deal=self.deal("acme", "website relaunch"), status="done",
                      completed_day=-141),
            self.task("Migrate Café Lumière to the new hosting", "chloe", d(-60), clients=("cafe",),
                      status="done", completed_day=-61),
            self.task("Send the invoice for the Shopify migration", "chloe", d(-38),
                      deal=self.deal("maison", "Shopify migration"), status="done",
                      completed_day=-38),
            self.task("Send the signed contract to Greenleaf", "ben", d(-29),
                      deal=self.deal("greenleaf", "donation platform"), status="done",
                      completed_day=-29),
            self.task("Kick-off meeting with Bäckerei Schröder", "ann", at(-18, 10, 0),
                      deal=self.deal("backerei", "pre-order app"), status="done",
                      completed_day=-18, duration=90),
            self.task("Book a table for the team dinner", "chloe", d(-10), status="done",
                      completed_day=-12, priority="low"),
            # cancelled
            self.task("Prepare a proposal for the Zenith member app", "ann", d(-74),
                      deal=self.deal("zenith", "member app"), status="cancelled",
                      notes="Cancelled: the deal is lost (no budget)."),
            self.task("Book a booth at Web Summit", "ben", d(-30), status="cancelled"),
            # no due date
            self.task("Collect testimonials from happy clients", "chloe", priority="low"),
            self.task("Write a case study on the Nordlicht portal", "ann",
                      deal=self.deal("nordlicht", "customer portal phase 1"), priority="low"),
        ]
        # fmt: on

    def _at(self, offset: int, hour: int, minute: int) -> datetime:
        """A local (zone-less) due time ``offset`` days from today."""
        return datetime.combine(self.workday(offset), time(hour, minute))


def _friday_before(day: date) -> date:
    """``day``, or the Friday before it when it falls on a weekend."""
    return day - timedelta(days=max(0, day.weekday() - 4))


def _addressed(name: str) -> str:
    """How a summary names a contact: ``Jana``, or ``Dr. Brandt`` for a doctor."""
    parts = name.split()
    return f"Dr. {parts[-1]}" if parts[0] == "Dr." else parts[0]


def _email(name: str, domain: str) -> str:
    parts = [p for p in name.split() if not p.endswith(".")]
    first, rest = slugify(parts[0]).replace("-", ""), slugify("".join(parts[1:])).replace("-", "")
    return f"{first}.{rest}@{domain}"


# --- checking and writing ------------------------------------------------------------------


def build_sample(today: date = TODAY, seed: int = SEED) -> tuple[Settings, list[Record]]:
    """The settings and every record of the sample, validated against each other."""
    settings = Settings.model_validate(load_fast(SETTINGS_YAML, SETTINGS_FILE))
    builder = _Builder(settings, today, seed)
    builder.build_clients()
    events = builder.build_deals()
    builder.build_activities(events)
    builder.build_tasks()
    records: list[Record] = [
        *builder.clients.values(),
        *(deal for _, deal in builder.deals),
        *builder.tasks,
        *builder.activities,
    ]
    _verify(settings, builder, records, today)
    return settings, records


def _verify(settings: Settings, builder: _Builder, records: list[Record], today: date) -> None:
    """Refuse to write a sample that ``tcrm check`` or the tests would reject."""
    problems: list[str] = []
    ids: dict[str, list[str]] = {}
    for record in records:
        ids.setdefault(record.KIND, []).append(record.id)
    for kind, expected in COUNTS.items():
        found = ids.get(kind, [])
        if len(found) != expected:
            problems.append(f"{len(found)} {kind}s, expected {expected}")
        if len(set(found)) != len(found):
            problems.append(f"duplicate {kind} ids")

    def exists(kind: str, record_id: str) -> bool:
        return record_id in ids.get(kind, [])

    for record in records:
        problems += [
            f"{record.KIND} {record.id}: {path}: {msg}"
            for path, msg in record_findings(record, settings, exists)
        ]
    now = datetime.combine(today, time(0, 0), tzinfo=ZoneInfo(settings.timezone))
    for spec, deal in builder.deals:
        pipeline = settings.pipeline(deal.pipeline)
        stage = pipeline.stage(deal.stage) if pipeline else None
        if pipeline is None or stage is None:
            continue  # reported by record_findings
        history = deal.stage_history
        if history[-1].stage != deal.stage or history[-1].at >= now:
            problems.append(f"deal {deal.id}: history does not end at its stage before today")
        for before, after in pairwise(history):
            if not before.at < after.at or not pipeline.may_move(before.stage, after.stage):
                problems.append(f"deal {deal.id}: {before.stage} -> {after.stage} out of order")
            entered = pipeline.stage(after.stage)
            if entered and any(getattr(deal, f) in (None, []) for f in entered.required):
                problems.append(f"deal {deal.id}: {after.stage} requires {entered.required}")
        if deal.status == "open" and stage.rotting_days:
            idle_since = max(
                [history[-1].at, *(a.at for a in builder.activities if deal.id in a.deals)]
            )
            rotting = (now - idle_since).days > stage.rotting_days
            if rotting != spec.rotting:
                problems.append(f"deal {deal.id}: rotting is {rotting}, expected {spec.rotting}")
    for activity in builder.activities:
        if activity.at >= now:
            problems.append(f"activity {activity.id} is not in the past")
    if problems:
        raise ValueError("the sample workspace is inconsistent:\n" + "\n".join(problems))


def write_sample_workspace(dest: Path, today: date = TODAY) -> None:
    """Write the sample workspace into ``dest``, which must be empty or not exist.

    Files only (no git): ``tcrm init --from DEST`` makes a repository of a copy.
    """
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ValueError(f"{dest} exists and is not an empty directory")
    _settings, records = build_sample(today)
    workspace = Workspace(dest)
    files = {dest / SETTINGS_FILE: SETTINGS_YAML}
    for record in records:
        files[workspace.path_of(record)] = dump_fast(record.to_data())
    for name, text in KB_PAGES.items():
        files[dest / "kb" / name] = text
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
