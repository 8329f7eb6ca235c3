"""The ceilings for the HTTP paths: nameko services that make a path's RPC and do nothing else."""
import json

from nameko.web.handlers import http
from werkzeug.wrappers import Response

from chassis.nameko_deps import WorkerLog
from chassis.rpc import rpc, service_proxy
from gateway.http import api

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
