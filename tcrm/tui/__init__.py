"""The Textual TUI. Imported only by ``tcrm tui``, so no other command pays for Textual."""
