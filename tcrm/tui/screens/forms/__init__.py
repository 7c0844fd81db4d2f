"""Forms for adding and editing clients, deals, tasks and activities.

A form validates as you type with the same models and settings rules the services use
(``records.build``/``updated`` + ``ensure_valid``, and the services' own parsers for
dates, amounts and references) and shows each problem next to its field. Saving calls
the one service function the CLI calls; if it still refuses, the refusal is shown in the
form, nothing is written, and the form stays open.

The package: ``base`` (``FormScreen``, a field's description and the helpers every form
uses), ``add`` (``ClientForm``, ``TaskForm``, ``DealForm``, ``ActivityForm``) and ``edit``
(``EditForm`` and one subclass per kind).
"""

from tcrm.tui.screens.forms.add import ActivityForm, ClientForm, DealForm, TaskForm
from tcrm.tui.screens.forms.base import Field, FormScreen, Problems
from tcrm.tui.screens.forms.edit import (
    ActivityEditForm,
    ClientEditForm,
    DealEditForm,
    EditForm,
    TaskEditForm,
)

__all__ = [
    "ActivityEditForm",
    "ActivityForm",
    "ClientEditForm",
    "ClientForm",
    "DealEditForm",
    "DealForm",
    "EditForm",
    "Field",
    "FormScreen",
    "Problems",
    "TaskEditForm",
    "TaskForm",
]
