"""Widgets shared by the screens of the TUI."""
