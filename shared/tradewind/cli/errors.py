"""The one way a command reports a user's mistake: a single line and exit status 2."""


class CliError(Exception):
    """An error the user can fix; printed as one line, never as a traceback."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
