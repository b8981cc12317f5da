"""Ingest jobs over HTTP: submit a file or a JSON array (202), then follow its progress."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, jsonify, request, url_for

from app.api import json_body
from app.auth import require_token
from app.errors import ApiError
from app.services import services
from indexer.readers import FORMATS, RawItem, UnsupportedFile, items_from_objects, read_bytes
from workers.tasks import submit_ingest

bp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs")


def _uploaded_items() -> tuple[list[RawItem], str]:
    """Items from a multipart `file` upload (format by extension) or a JSON array body."""
    upload = request.files.get("file")
    if upload is not None:
        name = upload.filename or "upload"
        fmt = FORMATS.get(Path(name).suffix.lower())
        if fmt is None:
            raise ApiError(
                400,
                "bad_file",
                f"{name}: unknown file type (expected one of {', '.join(sorted(FORMATS))})",
            )
        try:
            return list(read_bytes(upload.read(), fmt)), name
        except UnsupportedFile as exc:
            raise ApiError(400, "bad_file", f"{name}: {exc}") from exc
    body = json_body()
    if not isinstance(body, list):
        raise ApiError(
            400,
            "bad_body",
            "send a multipart 'file' (.jsonl, .json, .csv) or a JSON array of records",
        )
    return list(items_from_objects(body)), "api"


@bp.post("")
@require_token
def submit():
    svc = services()
    settings = svc.settings
    request.max_content_length = settings.max_upload_bytes
    items, source = _uploaded_items()
    if len(items) > settings.max_job_records:
        raise ApiError(
            413,
            "too_many_records",
            f"{len(items)} records; at most "
            f"{settings.max_job_records} per job (JIPPNAS_MAX_JOB_RECORDS)",
        )
    job = submit_ingest(svc, items, source)
    status = svc.jobs.status(job)
    response = jsonify(status)
    response.status_code = 202
    response.headers["Location"] = url_for("jobs.show", job=job)
    return response


@bp.get("/<job>")
def show(job: str):
    status = services().jobs.status(job)
    if status is None:
        raise ApiError(404, "not_found", f"no job with id {job!r}", {"id": job})
    return jsonify(status)
