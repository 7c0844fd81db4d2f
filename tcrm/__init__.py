"""tcrm: a CRM for people who live in the terminal."""

__version__ = "0.1.0"
