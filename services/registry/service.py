"""The registry's nameko shell: RPC entrypoints over the use cases, errors translated for the wire."""
from __future__ import annotations

import uuid
from datetime import date

import structlog
from nameko.timer import timer

from chassis import refusals
from chassis.caller import Caller
from chassis.envelope import Metadata
from chassis.nameko_deps import CallContext, EventStore, WorkerLog
from chassis.projection import ProjectionRunner
from chassis.report_facts import figures_rpc
from chassis.rpc import rpc
from chassis.wire import ServiceError
from contracts import imports as contract_imports
from contracts import instance
from contracts import registry as contract
from contracts import stations as contract_stations
from services.registry import handlers, import_jobs, report, stations
from services.registry.domain import model
from services.registry.domain import stations as station_rules
from services.registry.domain.errors import RegistryError
from services.registry.projections import VeteranList, list_veterans

log = structlog.get_logger("vetlife.registry")

# Each file command (contracts.registry.FILE_COMMANDS, by name): the domain command it builds
# and the decision it runs. The RPC methods below are made from this table.
DECISIONS = {
    "amend_contact": (model.AmendContact, model.VeteranFile.amend_contact),
    "record_discharge": (model.RecordDischarge, model.VeteranFile.record_discharge),
    "record_party_membership": (model.RecordPartyMembership,
                                model.VeteranFile.record_party_membership),
    "assign_grid_worker": (model.AssignGridWorker, model.VeteranFile.assign_grid_worker),
    "add_honour": (model.AddHonour, model.VeteranFile.add_honour),
    "mark_survivor_tie": (model.MarkSurvivorTie, model.VeteranFile.mark_survivor_tie),
    "record_village_secretary": (model.RecordVillageSecretary,
                                 model.VeteranFile.record_village_secretary),
}
FILE_COMMANDS = {command.name: command for command in contract.FILE_COMMANDS}


# Every refusal becomes the ServiceError code the gateway maps to one HTTP status.
on_the_wire = refusals.on_the_wire(RegistryError, what="file")


class RegistryService:
    """一人一档: the veteran file, one per veteran."""

    name = "registry"

    store = EventStore(upcast=contract.upcast)
    # Its part of the bureau's figures (chassis/report_facts.py, docs/figures.md).
    report_figures = figures_rpc(report.facts)
    context = CallContext()
    log = WorkerLog()

    def _meta(self, actor: str | None, command_id: str | None) -> Metadata:
        return Metadata(correlation_id=self.context["correlation_id"],
                        causation_id=command_id, actor=actor or "staff")

    def _project(self) -> None:
        # The list is caught up when it is read, not after each command: commands stay one
        # commit each, and a client that just registered a veteran still finds them in the
        # list. A failure here loses nothing: the next read catches up.
        try:
            ProjectionRunner(self.store, VeteranList()).catch_up()
        except Exception as exc:  # noqa: BLE001
            log.warning("registry.projection_lagging", error=type(exc).__name__)

    @rpc
    @on_the_wire
    def register_veteran(self, payload: dict, command_id: str | None = None,
                         actor: str | None = None) -> dict:
        data = instance(contract.RegisterVeteranRequest).load(payload)
        cmd = model.RegisterVeteran(
            declared_sex=data.pop("sex", None),
            declared_birth_date=data.pop("birth_date", None),
            **data,
        )
        accepted = handlers.register_veteran(self.store, cmd, self._meta(actor, command_id),
                                             command_id)
        return instance(contract.CommandAccepted).dump(accepted)

    def _change(self, command: str, veteran_id: str, payload: dict, command_id, expected_version,
                actor, within_stations=None) -> dict:
        command_type, decision = DECISIONS[command]
        cmd = command_type(veteran_id=veteran_id,
                           **instance(FILE_COMMANDS[command].request).load(payload))
        today = handlers.shanghai_today()
        accepted = handlers.change_file(
            self.store, veteran_id, cmd, lambda f: decision(f, cmd, today),
            self._meta(actor, command_id), command_id, expected_version,
            within_stations=within_stations,
        )
        return instance(contract.CommandAccepted).dump(accepted)

    @rpc
    @on_the_wire
    def get_veteran(self, veteran_id: str, as_of: str | None = None,
                    effective_on: str | None = None) -> dict:
        """The file now, or as it stood on a day (docs/history.md): `as_of` as known at the end
        of that day, `effective_on` as in effect for the person; both may be given."""
        if as_of is None and effective_on is None:
            return handlers.file_reply(handlers.load_file(self.store, veteran_id))
        dates = instance(contract.FileOnDateQuery).load(
            {name: value for name, value in (("as_of", as_of), ("effective_on", effective_on))
             if value is not None})
        timeline = handlers.load_timeline(self.store, veteran_id)
        return handlers.file_reply(timeline.file(known_by=dates.get("as_of"),
                                                 in_effect_on=dates.get("effective_on")))

    @rpc
    @on_the_wire
    def list_veterans(self, query: dict, within_stations: list | None = None) -> dict:
        params = instance(contract.ListVeteransQuery).load(query)
        params["within_stations"] = within_stations
        self._project()
        with self.store.db.transaction() as cur:
            return instance(contract.VeteranListReply).dump(list_veterans(cur, **params))

    @rpc
    @on_the_wire
    def file_history(self, params: dict, body, query, caller: dict) -> dict:
        caller = Caller.from_dict(caller)
        veteran_id = params["veteran_id"]
        try:
            veteran_id = str(uuid.UUID(veteran_id))
        except ValueError:
            raise ServiceError("not_found", "no veteran file with this veteran id") from None
        events = self.store.read_stream(veteran_id)
        if not events:
            raise ServiceError("not_found", "no veteran file with this veteran id")
        station = events[0].data.get("service_station")
        caller.require_reach(veteran_id, station, "veteran file")
        return instance(contract.FileHistoryReply).dump({
            "veteran_id": veteran_id, "version": events[-1].stream_version,
            "history": [{"version": e.stream_version, "event_type": e.event_type,
                         "at": e.recorded_at.isoformat(), "recorded_at": e.recorded_at.isoformat(),
                         # The upcaster has made every change's effective day explicit; a
                         # registration holds from the day it was recorded.
                         "effective_on": date.fromisoformat(e.data["effective_on"])
                         if e.data.get("effective_on")
                         else e.recorded_at.astimezone(handlers.SHANGHAI).date(),
                         "actor": e.actor} for e in events],
        })

    # -- imports of existing files (services/registry/import_jobs.py, docs/imports.md) -----------

    @rpc
    @on_the_wire
    def start_import(self, params: dict, body: dict, query, caller: dict) -> dict:
        body = instance(contract_imports.StartImportRequest).load(body)
        return import_jobs.start(self.store.db, body, Caller.from_dict(caller))

    @rpc
    @on_the_wire
    def get_import(self, params: dict, body, query, caller: dict) -> dict:
        return import_jobs.get(self.store.db, params["import_id"], Caller.from_dict(caller))

    @rpc
    @on_the_wire
    def get_import_errors(self, params: dict, body, query, caller: dict) -> dict:
        return import_jobs.error_file(self.store.db, params["import_id"],
                                      Caller.from_dict(caller))

    @timer(interval=1)
    def run_imports(self) -> None:
        """Run waiting imports one after another; the next tick comes after this one ends."""
        while (job := import_jobs.claim(self.store.db)) is not None:
            try:
                import_jobs.run(self.store, job)
            except Exception as exc:  # noqa: BLE001 - the lease ends and the import is retried
                log.warning("registry.import_interrupted", import_id=str(job["import_id"]),
                            error=type(exc).__name__)
                return

    # -- service stations (services/registry/stations.py, contracts/stations.py) ---------------

    def _station_accepted(self, accepted) -> dict:
        return instance(contract_stations.StationAccepted).dump({
            "station_id": accepted.stream_id, "version": accepted.version,
            "replayed": accepted.replayed})

    @rpc
    @on_the_wire
    def register_station(self, params: dict, body: dict, query, caller: dict) -> dict:
        caller = Caller.from_dict(caller)
        body = instance(contract_stations.RegisterStationRequest).load(body)
        return self._station_accepted(stations.register(
            self.store, body, self._meta(caller.actor, caller.command_id), caller.command_id,
            handlers.shanghai_today()))

    @rpc
    @on_the_wire
    def record_station_build(self, params: dict, body: dict, query, caller: dict) -> dict:
        caller = Caller.from_dict(caller)
        body = instance(contract_stations.RecordStationBuildRequest).load(body)
        today = handlers.shanghai_today()
        return self._station_accepted(stations.change(
            self.store, params["station_id"],
            lambda s: station_rules.record_build(s, body["status"], body["on"], today), body,
            self._meta(caller.actor, caller.command_id), caller.command_id,
            caller.expected_version))

    @rpc
    @on_the_wire
    def rate_station(self, params: dict, body: dict, query, caller: dict) -> dict:
        caller = Caller.from_dict(caller)
        body = instance(contract_stations.RateStationRequest).load(body)
        today = handlers.shanghai_today()
        return self._station_accepted(stations.change(
            self.store, params["station_id"],
            lambda s: station_rules.rate(s, body["rating"], body["rated_on"], today), body,
            self._meta(caller.actor, caller.command_id), caller.command_id,
            caller.expected_version))

    @rpc
    @on_the_wire
    def list_stations(self, params: dict, body, query: dict, caller: dict) -> dict:
        caller = Caller.from_dict(caller)
        loaded = instance(contract_stations.ListStationsQuery).load(query or {})
        ProjectionRunner(self.store, stations.StationListView()).catch_up()
        with self.store.db.transaction() as cur:
            listed = stations.list_stations(
                cur, **loaded, names=None if caller.district else list(caller.stations))
        return instance(contract_stations.StationList).dump(listed)

    @rpc
    @on_the_wire
    def events_after(self, after: int, limit: int = 500, types: list | None = None) -> dict:
        """The log for catch-up: public forms of the events after `after`, and the head then."""
        limit = max(1, min(int(limit), 1000))
        head = self.store.head()
        events = [e for e in self.store.read_all(int(after), limit, types) if e.position <= head]
        return {
            "head": head,
            "events": [e.to_cloudevent(contract.SOURCE, contract.public_form(e)) for e in events],
        }


def _file_command_rpc(name: str):
    """The RPC for one file command: every one takes the same arguments."""

    def method(self, veteran_id, payload, command_id=None, expected_version=None, actor=None,
               within_stations=None):
        return self._change(name, veteran_id, payload, command_id, expected_version, actor,
                            within_stations)

    method.__name__ = method.__qualname__ = name
    return rpc(on_the_wire(method))


for _name in DECISIONS:
    setattr(RegistryService, _name, _file_command_rpc(_name))
