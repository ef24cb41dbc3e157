"""What the import raises: the file refused, a stale preview, one unreadable cell."""


class WorkbookRefused(Exception):
    """The file itself cannot be imported. The message says why and what to do."""


class StaleImport(Exception):
    """The database changed after the preview was made."""

    def __init__(
        self, message: str = "The data changed since your preview: preview the file again."
    ):
        super().__init__(message)


class CellProblem(ValueError):
    """A cell cannot be read as what its column holds; the message says how to fix it."""
