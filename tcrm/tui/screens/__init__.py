"""Screens of the TUI, each with its .tcss beside it."""
