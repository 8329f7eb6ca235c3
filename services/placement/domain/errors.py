"""Placement's domain errors, each with a stable code the gateway maps to one HTTP status."""


class PlacementError(Exception):
    """Raised when a placement command cannot be carried out."""

    code = "conflict"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = {name: list(problems) for name, problems in (fields or {}).items()}

    def __str__(self) -> str:
        return self.message


class InvalidPlacementData(PlacementError):
    """Raised when a command carries facts a case cannot accept (every problem at once)."""

    code = "invalid_input"


class CaseNotFound(PlacementError):
    """Raised when no placement case (or none the caller may see) has the given id."""

    code = "not_found"


class PostNotFound(PlacementError):
    """Raised when no post quota has the given id."""

    code = "not_found"


class WrongState(PlacementError):
    """Raised when a step does not follow from where the case stands."""

    def __init__(self, step: str, status: str, expected):
        super().__init__(f"cannot {step}: the case is {status}, and this step needs it to be "
                         + " or ".join(sorted(expected)), {"status": [status]})
        self.status = status


class BenefitsForfeited(PlacementError):
    """Raised for any step on a case whose placement benefits were given up."""

    def __init__(self, step: str, reason: str, article: str):
        super().__init__(f"cannot {step}: the placement benefits were given up ({reason}, "
                         f"{article})", {"status": ["forfeited"]})


class ModeBarred(PlacementError):
    """Raised when a soldier chooses a mode the rules bar, with the rules that bar it."""

    def __init__(self, mode: str, explanation: str):
        super().__init__(f"{mode} is {explanation}", {"mode": [explanation]})


class AlreadyReportedIn(PlacementError):
    """Raised when a veteran who already has a placement case reports in again."""

    def __init__(self, case_id: str):
        super().__init__(f"this veteran has already reported in: placement case {case_id}",
                         {"veteran_id": ["already reported in"]})
        self.case_id = case_id


class PostUnavailable(PlacementError):
    """Raised when a post has no free position, was withdrawn, or is held by this case already."""


class StandardMissing(PlacementError):
    """Raised when the yearly standards table has no row for a year a computation needs."""
