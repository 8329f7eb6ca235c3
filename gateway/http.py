"""The gateway's HTTP entrypoint: nameko's, with JSON answers for unknown routes and a body limit."""
from __future__ import annotations

import os

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Request

from gateway.errors import error_response

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


def max_body_bytes(config: dict) -> int:
    return int(config.get("MAX_BODY_BYTES") or os.environ.get("GATEWAY_MAX_BODY_BYTES")
               or DEFAULT_MAX_BODY_BYTES)


class ApiApp(WsgiApp):
    """Routes like nameko's app, but every refusal is the API's JSON error body, and a body past
    the limit is refused from its Content-Length before a byte of it is read."""

    def __init__(self, server):
        super().__init__(server)
        self.limit = max_body_bytes(server.container.config)

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        # Bodies without a Content-Length (chunked) are cut off at the limit while being read.
        request.max_content_length = self.limit
        length = request.content_length
        if length is not None and length > self.limit:
            response = error_response(413, "payload_too_large",
                                      f"the request body is larger than {self.limit} bytes")
            # The body is never read, so the connection cannot be reused for another request.
            response.headers["Connection"] = "close"
            return response(environ, start_response)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
            request.path_values = values
            response = provider.handle_request(request)
        except NotFound:
            response = error_response(404, "not_found", "no such route")
        except MethodNotAllowed as exc:
            response = error_response(405, "method_not_allowed",
                                      "this route does not take that method")
            response.headers["Allow"] = ", ".join(exc.valid_methods or ())
        except HTTPException as exc:
            response = error_response(exc.code or 400, "invalid_request", exc.description or "")
        return response(environ, start_response)


class ApiServer(WebServer):
    def get_wsgi_app(self):
        return ApiApp(self)


class ApiRequestHandler(HttpRequestHandler):
    server = ApiServer()


api = ApiRequestHandler.decorator
