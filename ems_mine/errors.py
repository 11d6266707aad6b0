"""The one exception type for bad input: the CLI prints its message on one line and exits 2."""
from __future__ import annotations


class UserError(ValueError):
    """Bad input or a bad setting the user can fix. The message names the file/row and the fix."""
