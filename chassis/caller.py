"""Who a department service is serving: the caller the gateway verified, and how far they reach."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from chassis.wire import ServiceError


@dataclass(frozen=True)
class Caller:
    """The verified caller of an operation, as the gateway passes it (contracts/routes.py).

    `district` True: every case in the district. Otherwise the caller reaches the cases of their
    own `veteran_id` (a veteran) and of their `stations` (a station worker), and nothing else.
    """

    subject: str
    roles: tuple[str, ...]
    actor: str
    district: bool = False
    veteran_id: str | None = None
    stations: tuple[str, ...] = ()
    department: str | None = None
    command_id: str | None = None
    expected_version: int | None = None
    correlation_id: str | None = None
    purpose: str | None = None

    @classmethod
    def from_dict(cls, data: dict) -> Caller:
        return cls(**{**data, "roles": tuple(data.get("roles", ())),
                      "stations": tuple(data.get("stations", ()))})

    def as_dict(self) -> dict:
        return {**asdict(self), "roles": list(self.roles), "stations": list(self.stations)}

    def reaches(self, veteran_id: str | None, station: str | None) -> bool:
        if self.district:
            return True
        if self.veteran_id is not None and veteran_id == self.veteran_id:
            return True
        return station is not None and station in self.stations

    def require_reach(self, veteran_id: str | None, station: str | None,
                      what: str = "case") -> None:
        """A case outside the caller's reach is answered as one that does not exist."""
        if not self.reaches(veteran_id, station):
            raise ServiceError("not_found", f"no {what} with this id")
