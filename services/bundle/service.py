"""The bundle's nameko shell: an RPC per route, our services' events, the outbox, the clocks and the notices."""
from __future__ import annotations

import dataclasses
import functools

import structlog
from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.timer import timer

from chassis import notify, refusals
from chassis.caller import Caller
from chassis.clock import SYSTEM_CLOCK
from chassis.consumer import subscribe
from chassis.deadlines import Deadlines
from chassis.envelope import Metadata, RecordedEvent
from chassis.nameko_deps import CallContext, EventStore, Inbox, WorkerLog
from chassis.notify import Notifier
from chassis.outbox import RETRYABLE_CODES, Outbox, OutboxAccess, OutboxSender
from chassis.projection import ProjectionRunner
from chassis.report_facts import figures_rpc
from chassis.rpc import rpc, service_proxy
from chassis.store import PostgresEventStore
from chassis.wire import ServiceError
from contracts import benefits, employment, instance, placement, registry
from contracts import bundle as contract
from services.bundle import catalogue as catalogue_config
from services.bundle import handlers, queries, report
from services.bundle.domain.errors import BundleError, BundleNotFound, CatalogueInvalid
from services.bundle.projections import PROJECTIONS, load_in

log = structlog.get_logger("vetlife.bundle")
ROUTES = {route.name: route for route in contract.ROUTES}


@functools.cache
def the_catalogue():
    """Read once per process (BUNDLE_CATALOGUE or the shipped file); a bad file stops the start."""
    return catalogue_config.load()


# What the bundle follows of each source: the facts applicability needs, and every event the
# catalogue's matters are moved by (only types the source publishes).
FACT_TYPES = {
    "registry": ("VeteranRegistered", "DischargeRecorded", "PartyMembershipRecorded"),
    "placement": ("ReportedIn", "ModeChosen", "SubsidyPaid"),
    "benefits": ("CardApplied", "CardHandedOut", "CardRefused", "EntitlementApplied",
                 "EntitlementApproved", "EntitlementRejected"),
    "employment": ("JobSeekerRegistered",),
}
PUBLISHED = {"registry": registry.PUBLIC_SCHEMAS, "placement": placement.PUBLIC_SCHEMAS,
             "benefits": benefits.PUBLIC_SCHEMAS, "employment": employment.PUBLIC_SCHEMAS}


def followed(source: str) -> tuple[str, ...]:
    moved = {t for spec in the_catalogue().matters for t in spec.events}
    return tuple(sorted((set(FACT_TYPES[source]) | moved) & set(PUBLISHED[source])))


# Every refusal becomes the ServiceError code the gateway maps to one HTTP status.
on_the_wire = refusals.on_the_wire(BundleError, what="bundle", unavailable={
    CatalogueInvalid: "the bundle's catalogue cannot be read"})


# -- the outbox: route-convention commands, and "not yet" refusals sent again ----------------------

class BundleOutboxSender(OutboxSender):
    """The chassis sender, for the two conventions the bundle's commands use.

    A route's method takes `(params, body, query, caller)` and finds the command id in the caller
    (the gateway's place for the Idempotency-Key); the registry's file commands take
    `command_id=` as the chassis sender passes it. A refusal whose code the adapter names as
    "not yet" (the service has not followed the registry's event yet) is tried again later.
    """

    def send(self, cluster, context, command):
        kwargs = dict(command.kwargs)
        convention = kwargs.pop("_convention", "file")
        retry_codes = set(kwargs.pop("_retry_codes", ()))
        plain = dataclasses.replace(command, kwargs=kwargs)
        if convention != "route":
            outcome = super().send(cluster, context, plain)
        else:
            context["correlation_id"] = command.correlation_id or command.command_id
            params, body, query, caller = command.args
            caller = {**caller, "command_id": command.command_id,
                      "correlation_id": context["correlation_id"]}
            method = getattr(getattr(cluster, command.target_service), command.method)
            try:
                outcome = ("sent", method(params, body, query, caller), None)
            except ServiceError as exc:
                outcome = ("retry" if exc.code in RETRYABLE_CODES else "refused",
                           {"code": exc.code, "message": exc.message, "fields": exc.fields},
                           str(exc))
            except Exception as exc:  # noqa: BLE001 - no answer, no such service, a fault there
                outcome = ("retry", None, f"{type(exc).__name__}: {exc}")
        status, reply, error = outcome
        if status == "refused" and isinstance(reply, dict) and reply.get("code") in retry_codes:
            return "retry", None, error
        return outcome


class BundleOutbox(Outbox):
    def make_sender(self, db, config, service, **overrides):
        return BundleOutboxSender(db, config, service, on_outcome=self.on_outcome,
                                  **{**self.options, **overrides})


def command_outcome(cur, command) -> None:
    """The outbox's hook: runs in the transaction that records a command's outcome."""
    ctx = handlers.Context(PostgresEventStore(None, "bundle_events", upcast=contract.upcast),
                           the_catalogue(), SYSTEM_CLOCK)
    handlers.on_command_outcome(ctx, cur, command)


def registry_phone(config: dict):
    """For an SMS sender: the phone on file, read from the registry when a notice goes out."""

    def lookup(veteran_id: str) -> str | None:
        with ClusterRpcProxy(config, timeout=10) as cluster:
            return cluster.registry.get_veteran(veteran_id).get("phone")

    return lookup


class CatalogueTable(DependencyProvider):
    def setup(self):
        self.catalogue = the_catalogue()

    def get_dependency(self, worker_ctx):
        return self.catalogue


class BundleService:
    """军人退役一件事: the discharge bundle, its matters across departments, and its notices."""

    name = "bundle"

    store = EventStore(upcast=contract.upcast)
    # Its part of the bureau's figures (chassis/report_facts.py, docs/figures.md).
    report_figures = figures_rpc(report.facts)
    inbox = Inbox()
    deadlines = Deadlines()
    outbox = BundleOutbox(on_outcome=command_outcome, attempts=12, backoff=2.0,
                          max_backoff=300.0, timeout=20.0, poll_every=1.0)
    notifications = Notifier(phone_lookup=registry_phone)
    registry = service_proxy("registry")
    catalogue = CatalogueTable()
    context = CallContext()
    log = WorkerLog()
    clock = SYSTEM_CLOCK

    # -- plumbing ---------------------------------------------------------------------------------

    @property
    def ctx(self) -> handlers.Context:
        return handlers.Context(self.store, self.catalogue, self.clock)

    def _meta(self, caller: Caller) -> Metadata:
        return Metadata(correlation_id=caller.correlation_id or self.context["correlation_id"],
                        causation_id=caller.command_id, actor=caller.actor)

    def _outbox(self) -> OutboxAccess:
        return self.outbox

    @staticmethod
    def _load(route: str, payload) -> tuple[dict, dict]:
        """The request loaded (dates as dates) and its JSON form (as stored)."""
        schema = instance(ROUTES[route].request)
        data = schema.load(payload or {})
        return data, schema.dump(data)

    def _project(self) -> None:
        for projection in PROJECTIONS.values():
            try:
                ProjectionRunner(self.store, projection).catch_up()
            except Exception as exc:  # noqa: BLE001 - the next read catches up
                log.warning("bundle.projection_lagging", error=type(exc).__name__)

    def _react(self) -> int:
        try:
            return handlers.notify_from_events(self.ctx, self.notifications)
        except Exception as exc:  # noqa: BLE001 - the timer tries again in a moment
            log.warning("bundle.notices_lagging", error=type(exc).__name__)
            return 0

    def _accepted(self, written: handlers.Written) -> dict:
        if any(type(e).__name__ in handlers.NOTICE_TYPES for e in written.new):
            self._react()
        return instance(contract.BundleAccepted).dump(written.accepted())

    def _lookup_file(self, veteran_id: str) -> dict | None:
        try:
            return self.registry.get_veteran(veteran_id)
        except ServiceError as exc:
            if exc.code == "not_found":
                return None
            raise

    # -- requests ---------------------------------------------------------------------------------

    @rpc
    @on_the_wire
    def submit_bundle(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        data, form = self._load("submit_bundle", body)
        written = handlers.submit(self.ctx, data, form, caller, self._meta(caller),
                                  self._lookup_file, self._outbox())
        return self._accepted(written)

    @rpc
    @on_the_wire
    def record_matter_outcome(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        data, _ = self._load("record_matter_outcome", body)
        return self._accepted(handlers.record_outcome(
            self.ctx, params["bundle_id"], params["matter"], data, caller, self._meta(caller),
            self._outbox()))

    @rpc
    @on_the_wire
    def withdraw_matter(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        data, _ = self._load("withdraw_matter", body)
        return self._accepted(handlers.withdraw(
            self.ctx, params["bundle_id"], params["matter"], data, caller, self._meta(caller),
            self._outbox()))

    @rpc
    @on_the_wire
    def resubmit_matter(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        data, form = self._load("resubmit_matter", body)
        return self._accepted(handlers.resubmit(
            self.ctx, params["bundle_id"], params["matter"], data, form, caller,
            self._meta(caller), self._outbox()))

    @rpc
    @on_the_wire
    def follow_up_matter(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        data, _ = self._load("follow_up_matter", body)
        return self._accepted(handlers.follow_up(
            self.ctx, params["bundle_id"], params["matter"], data, caller, self._meta(caller),
            self._outbox()))

    # -- reads ------------------------------------------------------------------------------------

    @rpc
    @on_the_wire
    def get_bundle(self, params, body, query, caller) -> dict:
        """One bundle; `version` is its stream version and grows with every change."""
        caller = Caller.from_dict(caller)
        bundle_id = handlers.canonical(params["bundle_id"])
        with self.store.db.transaction() as cur:
            bundle, recorded = load_in(cur, bundle_id)
            if not handlers.visible(bundle, caller):
                raise BundleNotFound("no bundle with this id")
            sent = notify.of_case(cur, bundle_id)
        return instance(contract.BundleReply).dump(
            queries.bundle_view(self.catalogue, bundle, recorded, sent, caller))

    @rpc
    @on_the_wire
    def list_bundles(self, params, body, query, caller, as_of=None, effective_on=None) -> dict:
        """The list now; with `as_of` / `effective_on` one veteran's bundles as they stood on
        that day (the overview on a day, docs/history.md)."""
        caller = Caller.from_dict(caller)
        filters = instance(contract.ListBundlesQuery).load(query or {})
        day = registry.on_a_day(as_of, effective_on)
        self._project()
        with self.store.db.transaction() as cur:
            if day is not None:
                return instance(contract.BundleList).dump(queries.bundles_on(
                    cur, self.store, caller, day, **filters))
            return instance(contract.BundleList).dump(queries.list_bundles(cur, caller,
                                                                           **filters))

    @rpc
    @on_the_wire
    def bundle_attention(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        filters = instance(contract.AttentionQuery).load(query or {})
        self._project()
        with self.store.db.transaction() as cur:
            return instance(contract.AttentionList).dump(queries.attention(cur, caller,
                                                                           **filters))

    @rpc
    @on_the_wire
    def my_notifications(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        page = instance(contract.NotificationsQuery).load(query or {})
        if not caller.veteran_id:
            raise ServiceError("forbidden", "the inbox is a veteran's own")
        size = page["page_size"]
        with self.store.db.transaction() as cur:
            items, total = notify.inbox(cur, caller.veteran_id, size, (page["page"] - 1) * size)
        return instance(contract.NotificationList).dump({
            "items": [queries.notification_view(n) for n in items], "total": total,
            "page": page["page"], "page_size": size})

    @rpc
    @on_the_wire
    def retry_notification(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        notification_id = params["notification_id"]
        with self.store.db.transaction() as cur:
            found = notify.get(cur, notification_id)
            bundle = load_in(cur, found.case_id)[0] if found and found.case_id else None
            if found is None or bundle is None or not handlers.visible(bundle, caller):
                raise BundleNotFound("no notification with this id")
            if not notify.retry(cur, notification_id):
                raise ServiceError("conflict", f"the notification is {found.status}: only a "
                                   "failed one is sent again", {"status": [found.status]})
        self.notifications.added += 1  # wakes the dispatcher when this worker ends
        return {"notification_id": notification_id, "status": "pending"}

    # -- our services' events ---------------------------------------------------------------------

    def _follow(self, event: RecordedEvent, source: str) -> None:
        with self.inbox.once(event) as cur:
            if cur is None:
                return  # a repeat, or waiting for an earlier event of its stream
            written = handlers.on_owner_event(self.ctx, cur, event, self._outbox(), source)
        if written:
            log.info("bundle.matter_moved", event_type=event.event_type, events=written)
            self._react()

    @subscribe("registry", followed("registry"))
    def on_registry_event(self, event: RecordedEvent) -> None:
        self._follow(event, "registry")

    @subscribe("placement", followed("placement"))
    def on_placement_event(self, event: RecordedEvent) -> None:
        self._follow(event, "placement")

    @subscribe("benefits", followed("benefits"))
    def on_benefits_event(self, event: RecordedEvent) -> None:
        self._follow(event, "benefits")

    @subscribe("employment", followed("employment"))
    def on_employment_event(self, event: RecordedEvent) -> None:
        self._follow(event, "employment")

    # -- the notices: refusals, overdue matters (fired by the deadline runner), completions -------

    @timer(interval=2)
    def react(self) -> None:
        self._react()

    # -- terms that could not be counted when requested (a year's holidays not known then) -------

    @timer(interval=3600, eager=True)
    def set_terms(self) -> None:
        self._project()
        try:
            count = handlers.set_terms(self.ctx)
        except Exception as exc:  # noqa: BLE001 - the next hour tries again
            log.warning("bundle.terms_not_set", error=type(exc).__name__)
            return
        if count:
            log.info("bundle.terms_set", count=count)

    # -- catch-up for subscribers -----------------------------------------------------------------

    @rpc
    @on_the_wire
    def events_after(self, after: int, limit: int = 500, types: list | None = None) -> dict:
        """The log for catch-up: public forms of the events after `after`, and the head then."""
        limit = max(1, min(int(limit), 1000))
        head = self.store.head()
        events = [e for e in self.store.read_all(int(after), limit, types) if e.position <= head]
        return {"head": head, "events": [e.to_cloudevent(contract.SOURCE, contract.public_form(e))
                                         for e in events]}
