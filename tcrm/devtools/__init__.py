"""Tools for developing tcrm itself (not used by the CLI or the TUI): sample data."""
