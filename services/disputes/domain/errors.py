"""The disputes domain's refusals, each with a stable code the gateway maps to one HTTP status."""


class DisputesError(Exception):
    """Raised when a command cannot be carried out."""

    code: str = "invalid_input"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        # Field name -> problems, so a form can show every problem next to its field at once.
        self.fields: dict[str, list[str]] = {name: list(p) for name, p in (fields or {}).items()}

    def __str__(self) -> str:
        return self.message


class InvalidRequest(DisputesError):
    """Raised when a command carries data no case can accept (400)."""

    code = "invalid_input"


class CaseNotFound(DisputesError):
    """Raised for an id that names no case of the kind asked for (404)."""

    code = "not_found"


class StepRefused(DisputesError):
    """Raised when the case's state does not allow the step now, e.g. a second extension (409)."""

    code = "conflict"


class NotYours(DisputesError):
    """Raised when the caller may not take this step on this case, e.g. approving their own
    case's extension (403)."""

    code = "forbidden"


class Problems:
    """Collects every problem with a command, so staff can fix them all in one go."""

    def __init__(self):
        self.fields: dict[str, list[str]] = {}

    def add(self, field_name: str, problem: str) -> None:
        self.fields.setdefault(field_name, []).append(problem)

    def raise_if_any(self) -> None:
        # Field names only in the message: the values may be personal data.
        if self.fields:
            raise InvalidRequest(f"invalid request in: {', '.join(self.fields)}", self.fields)


def required_text(problems: Problems, field_name: str, value) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        problems.add(field_name, "is required")
    return text


def optional_text(value) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip() or None


def one_of(problems: Problems, field_name: str, value, allowed) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        problems.add(field_name, f"must be one of: {', '.join(allowed)}")
    return value
