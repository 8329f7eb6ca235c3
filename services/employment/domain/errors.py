"""The employment service's refusals, each with the stable code the gateway maps to a status."""
from __future__ import annotations


class EmploymentError(Exception):
    """Raised when an employment command cannot be carried out."""

    code = "invalid_input"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        # Field name -> problems, so a form shows every problem beside its field at once.
        self.fields = {name: list(problems) for name, problems in (fields or {}).items()}

    def __str__(self) -> str:
        return self.message


class InvalidEmploymentData(EmploymentError):
    """Raised when a command carries data that cannot be accepted (every problem listed)."""

    code = "invalid_input"


class NotFound(EmploymentError):
    """Raised when the employer, posting, fair or job seeker named in the path does not exist."""

    code = "not_found"


class AlreadyRegistered(EmploymentError):
    """Raised when an employer's credit code, or a veteran as a job seeker, is already on file."""

    code = "already_registered"


class Refused(EmploymentError):
    """Raised when the thing exists but its state refuses the command (a closed posting, a
    second adaptive training, a loan over the cap)."""

    code = "conflict"
