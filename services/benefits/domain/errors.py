"""The benefits domain's refusals, each with a stable code the gateway maps to one HTTP status."""


class BenefitsError(Exception):
    """Raised when a benefits command cannot be carried out."""

    code: str = "benefits_error"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        # Field name -> problems, so a form can show every problem beside its field.
        self.fields: dict[str, list[str]] = {name: list(p) for name, p in (fields or {}).items()}

    def __str__(self) -> str:
        return self.message


class InvalidRequest(BenefitsError):
    """Raised when a command carries something the rules do not accept (400)."""

    code = "invalid_input"


class NotFound(BenefitsError):
    """Raised for a case, campaign or veteran that does not exist or is out of reach (404)."""

    code = "not_found"


class WrongState(BenefitsError):
    """Raised when a case is not in a state that allows the step (409)."""

    code = "conflict"


class NotYourStep(BenefitsError):
    """Raised when the caller may not take this step on this case (403): four eyes, or a step
    reserved for another role."""

    code = "forbidden"


class StandardMissing(BenefitsError):
    """Raised when the standards table has no figure for what an amount needs (409): amounts
    are never guessed."""

    code = "conflict"


class Problems:
    """Collects every problem of a request, so one answer lists them all."""

    def __init__(self):
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, problem: str) -> None:
        self.fields.setdefault(field, []).append(problem)

    def raise_if_any(self, message: str = "the request is not valid") -> None:
        if self.fields:
            raise InvalidRequest(message, self.fields)
