"""One error shape for the whole API: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from indexer.embeddings import ModelMismatch
from indexer.engines.base import EngineUnavailable
from ranking.query import QueryError
from workers.jobs import JobQueueUnavailable


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or {}


def error_response(status: int, code: str, message: str, details: dict | None = None):
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return jsonify(body), status


def register_error_handlers(app: Flask) -> None:
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
