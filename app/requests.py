"""Every request gets an id: the caller's X-Request-ID when it is a plain token, else a
new one. It is echoed in the response, stamped on the request's log lines (one JSON
"request" line each, with method, path, status and duration) and stored with any job the
request submits, so the worker tasks of that job log it too (workers/logs.py)."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from workers.logs import REQUEST_ID

HEADER = "X-Request-ID"
_TOKEN = re.compile(r"[A-Za-z0-9._:-]{1,64}")
log = logging.getLogger("jippnas.request")


def init_request_ids(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        given = request.headers.get(HEADER, "")
        g.request_id = given if _TOKEN.fullmatch(given) else uuid.uuid4().hex
        g.request_token = REQUEST_ID.set(g.request_id)
        g.request_started = time.perf_counter()

    @app.after_request
    def _end(response: Response) -> Response:
        if "request_id" in g:
            response.headers[HEADER] = g.request_id
            took = (time.perf_counter() - g.request_started) * 1000
            fields = {
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
            }
            log.info("request", extra=fields | {"duration_ms": round(took, 1)})
        return response

    @app.teardown_request
    def _reset(_: BaseException | None) -> None:
        token = g.pop("request_token", None)
        if token is not None:
            REQUEST_ID.reset(token)
