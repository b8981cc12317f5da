"""The versioned JSON API: search, innovations, facets, similar and writes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from app.auth import require_token
from app.errors import ApiError
from app.openapi import openapi_document
from app.services import services
from indexer.engines.base import Filters, MatchQuery
from indexer.readers import items_from_objects
from ranking.export import FORMATS, export, to_csv, to_json
from ranking.lineage import lineage
from ranking.practices import listed
from ranking.query import Args, QueryError, parse_search, parse_similar, parse_suggest
from ranking.search import facet_entries
from ranking.similar import UnknownRecord, similar
from ranking.suggest import Suggestion, suggest
from workers.metrics import record_written, timed_search

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_RECORDS_PER_REQUEST = 1000
MAX_PRACTICE_RECORDS = 50


def _args() -> Args:
    """Query parameters, every value of each (the parsers reject unknown names)."""
    return request.args.to_dict(flat=False)


def json_body() -> object:
    """The parsed JSON body, or None; absurdly deep nesting is a 400, not a crash.

    A body over request.max_content_length is a 413, with or without Content-Length:
    without one (chunked), werkzeug stops reading at the limit without an error, and the
    truncated JSON would otherwise fail to parse and be answered as a 400.
    """
    data = request.get_data()  # a Content-Length over the limit raises 413 here
    limit = request.max_content_length
    # Without a Content-Length only a server that terminates the input (wsgi.input_terminated)
    # gets this far, so one byte more cannot block: b"" means the body ended at the limit.
    cut = request.content_length is None and limit is not None and len(data) >= limit
    if cut and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge(f"the request body is larger than {limit} bytes")
    try:
        return request.get_json(silent=True)
    except RecursionError:
        raise ApiError(400, "bad_body", "the JSON body is nested too deeply") from None


def _not_found(record_id: str) -> ApiError:
    return ApiError(404, "not_found", f"no innovation with id {record_id!r}", {"id": record_id})


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(services().fields))


@bp.get("/search")
def search():
    svc = services()
    req = parse_search(_args(), svc.fields)
    with timed_search(req.mode, svc.engine.name):
        return jsonify(svc.search.search(req).to_dict(svc.fields))


@bp.get("/search/export")
def export_search():
    """The whole result set (up to EXPORT_LIMIT) as a CSV or JSON download."""
    svc = services()
    args = dict(_args())
    kind = args.pop("format", ["csv"])
    if len(kind) != 1 or kind[0] not in FORMATS:
        raise QueryError("format", f"one of {', '.join(FORMATS)}")
    req = parse_search(args, svc.fields)
    with timed_search(req.mode, svc.engine.name):
        result = export(svc.search, req)

    def link(record_id: str) -> str:
        return url_for("ui.detail", record_id=record_id, _external=True)

    if kind[0] == "json":
        resp = jsonify(to_json(result, link))
    else:
        resp = Response(to_csv(result, svc.fields, link), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="jippnas-inovasi.{kind[0]}"'
    return resp


@bp.get("/suggest")
def suggest_queries():
    """Autocomplete for the search box (see ranking/suggest.py); each suggestion links
    to its practice (a title) or to the search it completes."""
    req = parse_suggest(_args())

    def url(s: Suggestion) -> str:
        if s.id:
            return url_for("ui.detail", record_id=s.id)
        return url_for("ui.search", q=s.query)

    found = suggest(services().engine, req.q, req.size)
    return jsonify({"q": req.q, "suggestions": [s.to_dict() | {"url": url(s)} for s in found]})


@bp.get("/facets")
def facets():
    svc = services()
    counts = svc.engine.facets(MatchQuery(), listed(Filters()))
    return jsonify({"total": counts.total, "facets": facet_entries(counts.facets, svc.fields)})


@bp.get("/innovations/<record_id>")
def get_innovation(record_id: str):
    record = services().engine.get(record_id)
    if record is None:
        raise _not_found(record_id)
    return jsonify(record.to_dict())


@bp.get("/innovations/<record_id>/similar")
def similar_innovations(record_id: str):
    req = parse_similar(_args())
    try:
        results = similar(services().search, record_id, req.size, req.other_regions, home=req.home)
    except UnknownRecord:
        raise _not_found(record_id) from None
    return jsonify({"id": record_id, "results": results})


@bp.get("/innovations/<record_id>/lineage")
def innovation_lineage(record_id: str):
    engine = services().engine
    record = engine.get(record_id)
    if record is None:
        raise _not_found(record_id)
    return jsonify(lineage(engine, record).to_dict())


@bp.post("/innovations")
@require_token
def create_innovations():
    body = json_body()
    if not isinstance(body, list):
        raise ApiError(400, "bad_body", "the body must be a JSON array of innovation records")
    if len(body) > MAX_RECORDS_PER_REQUEST:
        raise ApiError(
            413,
            "too_many_records",
            f"at most {MAX_RECORDS_PER_REQUEST} records "
            "per request; submit larger sets as a job (POST /api/v1/jobs)",
        )
    report = services().ingestor().run(items_from_objects(body))
    record_written(report)
    results: list[dict[str, Any]] = [
        {"index": position, "id": result.id, "status": result.status}
        for position, result in report.written
    ]
    results += [r.to_dict() | {"status": "rejected"} for r in report.rejections]
    results.sort(key=lambda r: r["index"])
    return jsonify({"summary": report.summary(), "results": results})


@bp.post("/practices")
@require_token
def join_practice():
    """Confirm that records describe one practice (a duplicate proposal, or more)."""
    body = json_body()
    ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not 2 <= len(ids) <= MAX_PRACTICE_RECORDS:
        raise ApiError(
            400,
            "bad_body",
            f'the body must be {{"ids": [...]}} with 2 to {MAX_PRACTICE_RECORDS} record ids',
        )
    if not all(isinstance(i, str) for i in ids):
        raise ApiError(400, "bad_body", "every id must be a string")
    try:
        joined = services().ingestor().join(list(dict.fromkeys(ids)))
    except KeyError as exc:
        raise ApiError(404, "not_found", f"no innovation with id {exc.args[0]}") from None
    return jsonify({"ids": joined})


@bp.delete("/practices/<record_id>")
@require_token
def leave_practice(record_id: str):
    """Undo a confirmation: the record is a practice of its own again."""
    if not services().ingestor().leave(record_id):
        raise _not_found(record_id)
    return "", 204


@bp.delete("/innovations/<record_id>")
@require_token
def delete_innovation(record_id: str):
    if not services().ingestor().delete([record_id]):
        raise _not_found(record_id)
    return "", 204
