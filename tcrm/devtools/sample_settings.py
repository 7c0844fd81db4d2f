"""Northwind Studio's settings (``tcrm.yaml``): the sample workspace's, and those of the
workspaces ``tcrm dev generate`` writes.

Ships in the wheel for ``tcrm dev generate``; the rest of the sample (its records, in
``tcrm/devtools/sample.py``) is data for this repository's ``sample_workspace/`` and tests,
and does not ship.
"""

from __future__ import annotations

SETTINGS_YAML = """\
# yaml-language-server: $schema=../schema/settings.schema.json
# Northwind Studio: the sample workspace of tcrm's README and tests (a fictional web agency).
# Edit by hand; `tcrm check` validates this file and every record.
version: 1
name: Northwind Studio
# Due times written without a zone are in this one; so is "today" for members without their own.
timezone: Europe/Berlin
# Amounts without a currency are in euros.
currency: EUR
default_pipeline: sales

# Team members own deals and clients, are assigned tasks and author activities.
team:
- id: ann
  name: Ann Becker
  email: ann@northwind.studio
- id: ben
  name: Ben Okafor
  email: ben@northwind.studio
  # Ben looks after North America and the UK from New York.
  timezone: America/New_York
- id: chloe
  name: Chloé Martin
  email: chloe@northwind.studio

# Pipelines are ordered stages. probability: percent chance to win; rotting_days: a deal
# idle for longer is flagged; required: deal fields needed to enter the stage; tasks:
# created when a deal enters the stage, due after due_in_days. Closing (won/lost) is a
# status, not a stage, and is allowed from every stage.
pipelines:
# New business: websites, shops, apps and care plans.
- id: sales
  name: Sales
  stages:
  - id: lead
    name: Lead
    probability: 10
    rotting_days: 14
  - id: qualified
    name: Qualified
    probability: 25
    rotting_days: 14
    tasks:
    - title: Schedule a discovery call
      due_in_days: 2
      priority: high
  - id: proposal
    name: Proposal
    probability: 50
    rotting_days: 10
    required:
    - amount
    tasks:
    - title: Send the proposal
      due_in_days: 2
      priority: high
    - title: Follow up on the proposal
      due_in_days: 7
      priority: medium
  - id: negotiation
    name: Negotiation
    probability: 75
    rotting_days: 7
    required:
    - amount
    - close_date
  # Where a deal may move from each stage: forward one or two stages, back one.
  transitions:
    lead: [qualified, proposal]
    qualified: [proposal, negotiation, lead]
    proposal: [negotiation, qualified]
    negotiation: [proposal]
# Referral, white-label and technology partners: slower, and any move is fine.
- id: partnerships
  name: Partnerships
  stages:
  - id: intro
    name: Intro
    probability: 15
    rotting_days: 30
  - id: pilot
    name: Pilot
    probability: 40
    rotting_days: 45
  - id: agreement
    name: Agreement
    probability: 70
    rotting_days: 21
    required:
    - amount

# Reference lists: a value outside its list is refused, so reports group cleanly.
lists:
  sources:
  - website
  - referral
  - event
  - outbound
  - partner
  - linkedin
  tags:
  - vip
  - smb
  - enterprise
  - startup
  - nonprofit
  - public-sector
  - ecommerce
  - website
  - app
  - retainer
  lost_reasons:
  - price
  - timing
  - competitor
  - no budget
  - no response
  - scope
  - in-house
  regions:
  - DACH
  - France
  - Benelux
  - Nordics
  - UK & Ireland
  - North America
  client_statuses:
  - lead
  - prospect
  - active
  - dormant
  - former
  activity_kinds:
  - call
  - meeting
  - email
  - note

# KPI goals: a member's, or every member's when `member` is not set.
goals:
- metric: activities
  kind: call
  target: 20
  period: week
- metric: deals_won
  target: 2
  period: month
- metric: won_amount
  target: 60000
  period: quarter
  member: ann
- metric: new_clients
  target: 2
  period: month

# Exchange rates to EUR, for reports that add up amounts in other currencies.
rates:
  USD: 0.86
  GBP: 1.15
"""
