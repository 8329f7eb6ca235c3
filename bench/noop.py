"""The ceilings for the HTTP paths: nameko services that make a path's RPC and do nothing else."""
import json

import eventlet
from nameko.web.handlers import http
from werkzeug.wrappers import Response

from chassis.nameko_deps import WorkerLog
from chassis.rpc import rpc, service_proxy
from gateway.audit import Audit, AuditEntry
from gateway.figures import SERVICES as FIGURE_SERVICES
from gateway.http import api
from gateway.service import Identity

# Every proxy here is chassis.rpc's, as the gateway's and the registry's are, so each ratio
# measures what our path adds, not the broker-confirm setting.


class NoopRpc:
    """Answers at once: what an RPC costs with no work behind it."""

    name = "noop_rpc"

    @rpc
    def ping(self, payload):
        return {"ok": True}


class NoopHttp:
    """Takes a POST and makes one RPC, as the gateway does, but validates and stores nothing."""

    name = "noop_http"
    noop = service_proxy("noop_rpc")

    @http("POST", "/noop")
    def noop_post(self, request):
        self.noop.ping(request.get_data(as_text=True))
        return 201, '{"ok": true}'


class BareFileRead:
    """A veteran file read as the gateway serves it, less the token check and the audit write.

    The gateway's own HTTP entrypoint (gateway.http.api), its worker log line and the same RPC to
    the real registry, answered with the same JSON: the ratio against the gateway's read is the
    price of identity and the audit log, nothing else.
    """

    name = "bare_file_read"
    registry = service_proxy("registry")
    log = WorkerLog()

    @api("GET", "/files/<string:veteran_id>")
    def read(self, request, veteran_id):
        reply = self.registry.get_veteran(veteran_id)
        # The gateway answers a clerk every field plus the (empty) list of withheld ones.
        return Response(json.dumps({**reply, "withheld": []}, ensure_ascii=False), status=200,
                        mimetype="application/json", headers={"ETag": f'"{reply["version"]}"'})


class NoopCommand:
    """A department command as the gateway takes it, with a service behind that does nothing.

    The gateway's HTTP entrypoint and worker log, its token check (gateway.service.Identity),
    one RPC to the no-op service with the body, and the audit entry the gateway writes for
    every command (gateway.audit, the same chained log in a database of its own): the ratio
    against a department's command is the price of that service's own work (validation, the
    decision, the durable append) and the gateway's routing and schema check, nothing else.
    """

    name = "noop_command"
    noop = service_proxy("noop_rpc")
    log = WorkerLog()
    identity = Identity()
    audit = Audit()

    @api("POST", "/commands/<string:operation>")
    def command(self, request, operation):
        principal = self.identity.principal(request.headers.get("Authorization"))
        body = request.get_data(as_text=True)
        payload = json.loads(body)
        self.noop.ping(body)
        self.audit.record(AuditEntry(
            subject=principal.subject, role=principal.role, action=operation, outcome="ok",
            veteran_id=payload.get("veteran_id"), fields=tuple(sorted(payload)),
            stations=tuple(principal.stations), department=principal.department))
        return Response('{"ok": true}', status=201, mimetype="application/json")


class NoopFigures:
    """The bureau's figures as the gateway fans them out, with services behind that count nothing.

    The gateway's HTTP entrypoint and worker log, its token check (gateway.service.Identity) and
    one RPC per department service, all at once on a green pool as gateway/figures.read_parts
    sends them (six, to the no-op service), answered when the last one is back. The figures
    read writes no audit entry (it shows no one's personal data), so neither does this. The
    ratio against GET /api/v1/figures is the price of the services' sums over their facts and
    the gateway's composing, access check and breakers, nothing else.
    """

    name = "noop_figures"
    noop = service_proxy("noop_rpc")
    log = WorkerLog()
    identity = Identity()

    @api("GET", "/figures")
    def figures(self, request):
        self.identity.principal(request.headers.get("Authorization"))
        query = dict(request.args)
        pool = eventlet.GreenPool(len(FIGURE_SERVICES))
        parts = dict(pool.imap(lambda s: (s, self.noop.ping.call_async(query).result()),
                               FIGURE_SERVICES))
        return Response(json.dumps({"parts": parts}), status=200, mimetype="application/json",
                        headers={"Cache-Control": "no-store"})
