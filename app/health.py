"""Liveness and readiness for load balancers and docker-compose health checks."""

from __future__ import annotations

from flask import Blueprint, jsonify

from app.services import services
from indexer.engines.base import EngineUnavailable

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    svc = services()
    try:
        count = svc.engine.count()
    except EngineUnavailable as exc:
        return jsonify(
            {"status": "unavailable", "engine": svc.settings.engine, "message": str(exc)}
        ), 503
    return jsonify({"status": "ok", "engine": svc.settings.engine, "records": count})
