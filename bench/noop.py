"""The ceiling for the HTTP path: a no-op nameko RPC behind a nameko HTTP entrypoint.

It uses the same RPC settings as the gateway and the registry (chassis.rpc), so the ratio
measures what our path adds, not the confirm decision.
"""
from nameko.web.handlers import http

from chassis.rpc import rpc, service_proxy


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
