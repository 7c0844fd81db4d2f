"""Fault injection for tests of interrupted changes: ``TCRM_FAULT=<step>`` kills tcrm.

The one place the variable is read. Each step of a change (see ``tcrm.store.journal``)
calls ``at(step)``; when ``$TCRM_FAULT`` names that step the process sends itself
SIGKILL there, as ``kill -9`` would: no ``finally``, no ``atexit``, no flush.
"""

from __future__ import annotations

import os
import signal

FAULT_ENV = "TCRM_FAULT"


def at(step: str) -> None:
    """Die here, at once, when ``$TCRM_FAULT`` is ``step``."""
    if os.environ.get(FAULT_ENV) == step:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
