"""The one exception type that reaches the user as a single line and exit status 2."""


class UserError(Exception):
    """Bad input from the user: printed as one line, exit status 2, nothing else touched."""

    exit_status = 2
