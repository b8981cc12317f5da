"""Security headers on every response and CORS only where it is configured."""

from __future__ import annotations

from flask import Flask, Response
from flask_cors import CORS

from indexer.settings import Settings

# No inline script or style anywhere: the UI's JS and CSS are files under /static.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def init_security(app: Flask, settings: Settings) -> None:
    settings.check()

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    if settings.cors_origins:
        CORS(
            app,
            resources={r"/api/*": {"origins": list(settings.cors_origins)}},
            methods=["GET"],
            allow_headers=["Content-Type"],
        )
