"""Flask app factory: JSON API, health check and CLI, configured from JIPPNAS_* variables."""

from __future__ import annotations

from flask import Flask
from flask_compress import Compress

from app.api import bp as api_bp
from app.errors import register_error_handlers
from app.health import bp as health_bp
from app.jobs import bp as jobs_bp
from app.ratelimit import init_rate_limits
from app.requests import init_request_ids
from app.security import init_security
from app.services import init_services
from app.ui import bp as ui_bp
from indexer.settings import Settings
from workers.assembly import Services


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    """The web app over ``services`` (built from ``settings``, or from JIPPNAS_* variables,
    when not given)."""
    services = services or Services(settings or Settings.from_env())
    settings = services.settings
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    init_security(app, settings)
    init_request_ids(app)
    init_services(app, services)
    register_error_handlers(app)

    app.register_blueprint(api_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(ui_bp)
    app.register_blueprint(jobs_bp)
    init_rate_limits(app, settings)
    Compress(app)  # gzip/brotli for pages, CSS, JS and JSON (a results page shrinks ~5x)
    return app
