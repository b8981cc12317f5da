"""One error shape for the whole API: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException, RequestURITooLarge

from indexer.embeddings import ModelMismatch
from indexer.engines.base import EngineUnavailable
from ranking.query import QueryError
from workers.jobs import JobQueueUnavailable

# Longest request target (path and query string, as sent) the app answers; browsers and
# proxies are unreliable beyond a few KB, and no real search needs that much.
MAX_URL_BYTES = 4096
URI_TOO_LONG = f"the URL is longer than {MAX_URL_BYTES} bytes; shorten the query or remove filters"


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or {}


def error_body(code: str, message: str, details: dict | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(status: int, code: str, message: str, details: dict | None = None):
    return jsonify(error_body(code, message, details)), status


def uri_too_long_response():
    """414 in the API's shape (pages get an Indonesian page instead, see app/ui.py)."""
    return error_response(414, "uri_too_long", URI_TOO_LONG, {"max_bytes": MAX_URL_BYTES})


def request_target_bytes(environ: dict[str, Any]) -> int:
    """Length of the request target as the client sent it (still percent-encoded)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING", "")
    if query and "?" not in raw:  # werkzeug's test client leaves the query out of RAW_URI
        raw += "?" + query
    return len(raw)


def _check_url_length() -> None:
    if request_target_bytes(request.environ) > MAX_URL_BYTES:
        raise RequestURITooLarge(URI_TOO_LONG)


def register_error_handlers(app: Flask) -> None:
    app.before_request(_check_url_length)

    @app.errorhandler(ApiError)
    def _api(err: ApiError):
        return error_response(err.status, err.code, err.message, err.details)

    @app.errorhandler(QueryError)
    def _query(err: QueryError):
        return error_response(
            400, "bad_parameter", str(err), {"parameter": err.param, "reason": err.reason}
        )

    @app.errorhandler(EngineUnavailable)
    def _engine(err: EngineUnavailable):
        return error_response(503, "engine_unavailable", str(err))

    @app.errorhandler(JobQueueUnavailable)
    def _queue(err: JobQueueUnavailable):
        return error_response(503, "queue_unavailable", str(err))

    @app.errorhandler(ModelMismatch)
    def _model(err: ModelMismatch):
        return error_response(503, "model_mismatch", str(err))

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        code = (err.name or "error").lower().replace(" ", "_")
        return error_response(err.code or 500, code, err.description or err.name)
