"""Files, git and locking: everything that touches the disk lives here."""
