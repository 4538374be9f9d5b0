"""Expected errors of HallDesk's services.

Every error a user can cause carries a Chinese message meant to be shown as is (message box in the GUI,
stderr in the CLI).  Anything else that escapes a service is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence


class HallDeskError(Exception):
    """Base of all expected errors; ``message`` is Chinese and shown to the user."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(HallDeskError):
    """Input that breaks a rule; ``field`` names the input (e.g. ``uscc``, ``materials.M01``).

    ``problems`` holds every (field, message) a form check found, in the form's order, the first being
    ``field`` and ``message`` (a form shows them all at once; the CLI prints them all).
    """

    exit_code = 2

    def __init__(self, field: str, message: str, *, problems: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.field = field
        self.problems: tuple[tuple[str, str], ...] = tuple(problems) or ((field, message),)


class AuthenticationError(HallDeskError):
    """Wrong user name or password, or a locked account."""

    exit_code = 3


class PermissionDenied(HallDeskError):
    """The acting user's role or department does not allow the operation."""

    exit_code = 4


class NotFound(HallDeskError):
    exit_code = 5


class Conflict(HallDeskError):
    """The operation clashes with existing data (duplicate code, stale version, ...)."""

    exit_code = 6


class DatabaseUnavailable(HallDeskError):
    """The database URL cannot be reached or opened."""

    exit_code = 7


class DatabaseBusy(DatabaseUnavailable):
    """A SQLite file (the embedded database, a counter's store) stayed locked by another program for longer than
    the busy timeout.  Nothing was written; the same action can simply be tried again."""


# Exit code of a CLI command that failed on a bug (anything that is not a HallDeskError): the user sees one
# line with a reference, the traceback is in the log under it (app.crashlog).
INTERNAL_ERROR_EXIT_CODE = 11
