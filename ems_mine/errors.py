"""The one exception type for bad input: the CLI prints its message on one line and exits 2."""
from __future__ import annotations


class UserError(ValueError):
    """Bad input or a bad setting the user can fix. The message names the file/row and the fix."""


class Interrupted(UserError):
    """Ctrl-C (or SIGTERM) stopped the work; the message says what was kept. The CLI exits 130."""
