"""Liveness and readiness for load balancers and docker-compose health checks."""

from __future__ import annotations

from flask import Blueprint, jsonify

from app.services import services
from indexer.engines.base import EngineUnavailable, StoreOutdated

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    svc = services()
    try:
        svc.engine.check_store()
        count = svc.engine.count()
    except EngineUnavailable as exc:
        status = "outdated" if isinstance(exc, StoreOutdated) else "unavailable"
        return jsonify({"status": status, "engine": svc.settings.engine, "message": str(exc)}), 503
    return jsonify({"status": "ok", "engine": svc.settings.engine, "records": count})
