"""The API's docs page: Swagger UI from the installed swagger-ui-bundle package, no internet needed."""
from __future__ import annotations

import html
import mimetypes

from swagger_ui_bundle import swagger_ui_path
from werkzeug.wrappers import Response

from gateway.errors import error_response

# Only these files are served: a name from the URL never becomes a path on its own.
ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
          "favicon-32x32.png", "favicon-16x16.png", "docs.js")

_INIT = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: document.getElementById("swagger-ui").dataset.spec,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
};
"""

_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>vetlife API</title>
<link rel="stylesheet" href="{base}swagger-ui.css">
<link rel="icon" type="image/png" href="{base}favicon-32x32.png">
</head>
<body>
<p style="font-family:sans-serif;margin:1em">Press <b>Authorize</b> and paste a bearer token
(for the local stack: <code>.venv/bin/vetlife-token registry_clerk</code>) to try the calls.</p>
<div id="swagger-ui" data-spec="{spec}"></div>
<script src="{base}swagger-ui-bundle.js"></script>
<script src="{base}swagger-ui-standalone-preset.js"></script>
<script src="{base}docs.js"></script>
</body>
</html>
"""

# The page loads only our own files; nothing from elsewhere, no inline script.
_SECURITY = {"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                                        "style-src 'self' 'unsafe-inline'",
             "X-Content-Type-Options": "nosniff"}


def page(spec_url: str, base: str) -> Response:
    body = _PAGE.format(spec=html.escape(spec_url), base=html.escape(base))
    return Response(body, mimetype="text/html", headers=_SECURITY)


def asset(name: str) -> Response:
    if name not in ASSETS:
        return error_response(404, "not_found", "no such route")
    if name == "docs.js":
        return Response(_INIT, mimetype="text/javascript", headers=_SECURITY)
    data = (swagger_ui_path / name).read_bytes()
    mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Response(data, mimetype=mimetype,
                    headers={**_SECURITY, "Cache-Control": "public, max-age=86400"})
