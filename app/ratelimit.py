"""Per-client rate limits: reads, writes and job submissions each have their own budget.

One search costs real CPU (query embedding, fusion, facets), so a single client must not
be able to starve the others. Budgets are counted per client address in Redis when
JIPPNAS_REDIS_URL is set (all web processes share them), in memory otherwise. If Redis
goes away, counting falls back to memory: search keeps answering.
"""

from __future__ import annotations

import math
import time
from typing import cast

from flask import Blueprint, Flask, Response, make_response, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

from app.errors import error_response
from app.ui import rate_limited_page
from indexer.settings import Settings

READ_METHODS = ["GET", "HEAD"]
# Health checks, static files and the API description never count against anyone.
EXEMPT_ENDPOINTS = frozenset({"health.healthz", "api.openapi", "static"})
# Seconds to wait for Redis before counting in memory instead of hanging the request.
REDIS_TIMEOUTS: dict[str, str | int] = {"socket_connect_timeout": 1, "socket_timeout": 1}


def init_rate_limits(app: Flask, settings: Settings) -> Limiter:
    """Limit the registered blueprints; call after they are registered."""
    if settings.trusted_proxies:
        # Behind N reverse proxies the client is the N-th address from the right.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=settings.redis_url or "memory://",
        storage_options=REDIS_TIMEOUTS if settings.redis_url else {},
        key_prefix="jippnas",
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    limiter.request_filter(lambda: request.endpoint in EXEMPT_ENDPOINTS)
    _share(app, limiter, settings.rate_limit_read, "read", READ_METHODS, "api", "jobs", "ui")
    _share(app, limiter, settings.rate_limit_write, "write", ["POST", "DELETE"], "api")
    _share(app, limiter, settings.rate_limit_jobs, "jobs", ["POST"], "jobs")
    app.register_error_handler(RateLimitExceeded, lambda err: _rate_limited(limiter, err))
    return limiter


def _share(
    app: Flask,
    limiter: Limiter,
    rate: str | None,
    scope: str,
    methods: list[str],
    *blueprints: str,
) -> None:
    """One budget (scope) shared by these methods on all views of these blueprints."""
    if rate:
        for name in blueprints:
            blueprint = cast(Blueprint, app.blueprints[name])
            limiter.shared_limit(rate, scope, methods=methods)(blueprint)


def _retry_after(limiter: Limiter, err: RateLimitExceeded) -> int:
    """Whole seconds until the breached window resets (1 to one window length)."""
    window = err.limit.limit.get_expiry()
    try:
        current = limiter.current_limit
        reset_at = current.window[0] if current else time.time() + window
    except Exception:  # the storage failed between the breach and now: a full window
        reset_at = time.time() + window
    return min(window, max(1, math.ceil(reset_at - time.time())))


def _rate_limited(limiter: Limiter, err: RateLimitExceeded) -> Response:
    """429 with Retry-After: the API's JSON error shape, or the Indonesian page."""
    seconds, limit = _retry_after(limiter, err), str(err.limit.limit)
    if request.path.startswith("/api/"):
        body = error_response(
            429,
            "rate_limited",
            f"too many requests (limit {limit}); retry in {seconds} s",
            {"limit": limit, "retry_after": seconds},
        )
    else:
        body = rate_limited_page(seconds)
    response = make_response(body)
    response.headers["Retry-After"] = str(seconds)
    return response
