"""Liveness and readiness for load balancers and docker-compose health checks."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from prometheus_client import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError

from app.services import services
from indexer.engines.base import EngineUnavailable, StoreOutdated
from workers.metrics import exposition

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


@bp.get("/metrics")
def metrics():
    """Prometheus text format: search latency per mode and engine, engine calls, records
    written, jobs submitted and the Celery queue's depth (read from Redis now)."""
    return Response(exposition(_queue_depth()), mimetype=CONTENT_TYPE_LATEST)


def _queue_depth() -> int | None:
    svc = services()
    if not svc.settings.redis_url:
        return None
    try:
        return int(svc.jobs.kv.llen(svc.celery.conf.task_default_queue))  # type: ignore[attr-defined]
    except RedisError:
        return None  # the scrape still answers; the job queue's outage shows in /healthz
