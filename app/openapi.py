"""The OpenAPI 3.0 description of the API, served at /api/v1/openapi.json.

Records, result cards and the search filters are generated from the field registry
(indexer/fields.py); the rest describes the fixed shape of the endpoints.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from app.errors import MAX_URL_BYTES
from indexer.fields import FIELDS, Field, Kind, Registry
from indexer.normalise import ID_PATTERN, MAX_REFS, MAX_SHORT
from ranking.export import EXPORT_LIMIT, FORMATS
from ranking.query import (
    MAX_DEPTH,
    MAX_QUERY_CHARS,
    MAX_REGION_CHARS,
    MAX_SIZE,
    MAX_SUGGEST,
    MAX_SUGGEST_CHARS,
    MODES,
    SORTS,
    SearchRequest,
)

STR = {"type": "string"}
NULLABLE_STR = {"type": "string", "nullable": True}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
_LINK = {
    "type": "object",
    "description": "A stored record's id, or the title, agency, region and year of a "
    "practice outside the store",
    "additionalProperties": False,
    "properties": {
        "id": {**STR, "pattern": ID_PATTERN.pattern},
        **{
            key: {**STR, "maxLength": MAX_SHORT}
            for key in ("title", "agency", "region", "source_program")
        },
        "year": INT,
    },
}
_KINDS: dict[Kind, dict[str, Any]] = {
    "text": STR,
    "keyword": STR,
    "integer": INT,
    "boolean": BOOL,
    "list": {"type": "array", "items": STR},
    "url": STR,
    "id": {**STR, "pattern": ID_PATTERN.pattern},
    "refs": {"type": "array", "items": _LINK, "maxItems": MAX_REFS},
    "timestamp": STR,
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _param(
    name: str, schema: dict[str, Any], description: str, where: str = "query", many: bool = False
) -> dict[str, Any]:
    param = {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": description,
        "schema": {"type": "array", "items": schema} if many else schema,
    }
    return param | ({"style": "form", "explode": True} if many else {})


_RECORDS = {"type": "array", "items": _ref("NewInnovation")}
_RECORD_ID = _param("id", _KINDS["id"], "Innovation id", "path")
_AUTH_ERRORS = {"401": _error("No or wrong API token")}
# A valid record: generators such as schemathesis mix examples into what they send, so
# fuzzed writes create records now and then and the links below have an id to follow.
_EXAMPLE_RECORD = {
    "id": "contoh-antar-jemput-lansia",
    "title": "Antar Jemput Lansia ke Puskesmas",
    "agency": "Dinas Kesehatan Kota Semarang",
    "agency_level": "kota",
    "province": "Jawa Tengah",
    "sector": "kesehatan",
    "year": 2021,
    "source_program": "KIPP",
    "problem": "Warga lanjut usia sulit datang sendiri ke puskesmas untuk kontrol rutin.",
    "solution": "Petugas menjemput lansia terdaftar dan mengantar mereka pulang setelah kontrol.",
    "digital": False,
    "tags": ["lansia", "puskesmas"],
}


def _record_links(record_id: str, *names: str) -> dict[str, Any]:
    """OpenAPI links from a response naming a record (`record_id` is a runtime expression).

    After POST /innovations they name the first record, stored unless its status is rejected.
    """
    targets = {
        "GetInnovation": ("/api/v1/innovations/{id}", "get", "Read the record"),
        "SimilarInnovations": ("/api/v1/innovations/{id}/similar", "get", "Similar ones"),
        "InnovationLineage": ("/api/v1/innovations/{id}/lineage", "get", "Its lineage"),
        "DeleteInnovation": ("/api/v1/innovations/{id}", "delete", "Delete the record"),
    }
    links = {}
    for name in names:
        path, method, description = targets[name]
        pointer = path.replace("~", "~0").replace("/", "~1")
        links[name] = {
            "operationRef": f"#/paths/{pointer}/{method}",
            "parameters": {"id": record_id},
            "description": description,
        }
    return links


def _property(spec: Field, given: bool = False) -> dict[str, Any]:
    """One field's schema: as stored and returned, or as ``given`` in a write."""
    schema = {**_KINDS[spec.kind], "description": spec.description}
    if spec.vocabulary:
        schema["enum"] = list(spec.vocabulary)  # writes also take aliases ("Kab.", "IGA")
    if given and spec.kind in ("text", "keyword", "url"):
        schema["maxLength"] = spec.max_chars
    if not spec.required and spec.kind not in ("list", "refs", "boolean"):
        schema["nullable"] = True
    return schema


def _record_schemas(fields: Registry) -> dict[str, Any]:
    """The record as returned, as a result card and as given in a write."""
    card = {
        **{f.name: _property(f) for f in fields if f.card or f.name == "id"},
        "snippet": {**STR, "description": "HTML-escaped passage; matches wrapped in <mark>"},
        "highlight": {
            "type": "object",
            "description": "The title and tags HTML-escaped, matches wrapped in <mark>",
            "properties": {"title": STR, "tags": {"type": "array", "items": STR}},
        },
        "score": {"type": "number"},
    }
    return {
        "ResultCard": {"type": "object", "required": list(card), "properties": card},
        "Innovation": {
            "type": "object",
            "required": ["id", *(f.name for f in fields if f.required)],
            "properties": {f.name: _property(f) for f in fields},
        },
        "NewInnovation": {
            "type": "object",
            "required": [f.name for f in fields if f.required],
            "properties": {f.name: _property(f, given=True) for f in fields if f.is_input},
        },
    }


def _filter_params(spec: Field) -> list[dict[str, Any]]:
    if spec.facet == "range":
        bounds = {**INT, "minimum": 1900, "maximum": 2100}
        low, high = spec.params
        return [_param(low, bounds, "Earliest year"), _param(high, bounds, "Latest year")]
    if spec.facet == "flag":
        return [_param(spec.name, BOOL, f"{spec.description}: only true or only false")]
    return [_param(spec.name, STR, f"{spec.description}; repeat for OR", many=True)]


_DAERAH = _param(
    "daerah",
    {**STR, "maxLength": MAX_REGION_CHARS},
    "'Daerah saya': the officer's own province or regency/city (any spelling); practices "
    "from comparable regions (same province or island group, same kind of government) "
    "move up and each card says why (`comparable`). 400 for an unknown region",
)


def _search_params(fields: Registry) -> list[dict[str, Any]]:
    defaults = SearchRequest()
    return [
        _param("q", {**STR, "maxLength": MAX_QUERY_CHARS}, "Problem or keywords, plain text"),
        _param("mode", {**STR, "enum": list(MODES), "default": defaults.mode}, "Ranking mode"),
        *(p for f in fields if f.facet for p in _filter_params(f)),
        _param(
            "page",
            {**INT, "minimum": 1, "maximum": MAX_DEPTH, "default": defaults.page},
            f"Page; page x size <= {MAX_DEPTH} (400 above)",
        ),
        _param(
            "size",
            {**INT, "minimum": 1, "maximum": MAX_SIZE, "default": defaults.size},
            "Page size",
        ),
        _param("sort", {**STR, "enum": list(SORTS), "default": defaults.sort}, "Order"),
        _DAERAH,
        _param(
            "correct",
            {**BOOL, "default": True},
            "Fix typos in q (see `corrections`); false searches the words as typed",
        ),
    ]


_FACET_VALUE = {
    "type": "object",
    "required": ["value", "label", "count"],
    "properties": {
        "value": {"oneOf": [STR, INT, {"type": "boolean"}]},
        "label": {**STR, "description": "How the pages show the value (Indonesian)"},
        "count": INT,
    },
}
_FACETS = {"type": "object", "additionalProperties": {"type": "array", "items": _FACET_VALUE}}

_WHY = {
    "type": "object",
    "description": "Why the result is there: the query's words it contains (as searched), "
    "the typo fixes and acronym expansions among them (typed -> searched), whether it "
    "matches by meaning alone, the filters it meets, and all of it as one Indonesian line",
    "properties": {
        "words": {"type": "array", "items": STR},
        "corrected": {"type": "object", "additionalProperties": STR},
        "expanded": {"type": "object", "additionalProperties": STR},
        "meaning": BOOL,
        "filters": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": STR, "label": STR, "value": STR},
            },
        },
        "text": STR,
    },
}

_COMPARABLE = {
    **NULLABLE_STR,
    "description": "With `daerah`: why the practice's region is comparable (Indonesian), or null",
}


def _cards(properties: dict[str, Any]) -> dict[str, Any]:
    """A list of result cards with more properties (and "comparable" with `daerah`)."""
    more = {"type": "object", "properties": {**properties, "comparable": _COMPARABLE}}
    return {"type": "array", "items": {"allOf": [_ref("ResultCard"), more]}}


_LINKED = {
    "type": "object",
    "description": "A linked practice: a stored record (stored=true, with its detail page), "
    "a record since deleted (id only) or one outside the store as a source names it",
    "properties": {
        "id": NULLABLE_STR,
        **{k: NULLABLE_STR for k in ("title", "agency", "region", "province")},
        "year": {**INT, "nullable": True},
        "source_program": NULLABLE_STR,
        "award": NULLABLE_STR,
        "stored": BOOL,
    },
}
SCHEMAS: dict[str, Any] = {
    "Lineage": {
        "type": "object",
        "required": ["id", "replicates", "replicated_by", "same_practice", "spread"],
        "properties": {
            "id": STR,
            "replicates": {"type": "array", "items": _LINKED},
            "replicated_by": {"type": "array", "items": _LINKED},
            "same_practice": {"type": "array", "items": _LINKED},
            "spread": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"region": STR, "replications": INT},
                },
            },
        },
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {"code": STR, "message": STR, "details": {"type": "object"}},
            }
        },
    },
    "SearchResponse": {
        "type": "object",
        "required": ["total", "page", "size", "took_ms", "results", "facets"],
        "properties": {
            "total": INT
            | {
                "description": "records in the query's match set (which the facets count): "
                "a semantic or hybrid query matches among the 1,000 records nearest to it in "
                "meaning (on OpenSearch each shard's 1,000, found by an approximate HNSW search)"
            },
            "page": INT,
            "size": INT,
            "took_ms": {"type": "number"},
            "corrections": {
                "type": "object",
                "additionalProperties": STR,
                "description": "Typo corrections applied: query term -> index term",
            },
            "results": _cards(
                {
                    "why": _WHY,
                    "also": {
                        "type": "array",
                        "description": "The practice's other records (confirmed duplicates): "
                        "search shows a practice once",
                        "items": {
                            "type": "object",
                            "properties": {
                                "id": STR,
                                "source_program": NULLABLE_STR,
                                "year": {**INT, "nullable": True},
                            },
                        },
                    },
                }
            ),
            "facets": _FACETS,
        },
    },
    "SimilarResponse": {
        "type": "object",
        "required": ["id", "results"],
        "properties": {
            "id": STR,
            "results": _cards(
                {
                    "reason": STR,
                    "shared_terms": {"type": "array", "items": STR},
                    "same_sector": {"type": "boolean"},
                }
            ),
        },
    },
    "WriteResponse": {
        "type": "object",
        "required": ["summary", "results"],
        "properties": {
            "summary": {
                "type": "object",
                "properties": {k: INT for k in ("created", "updated", "unchanged", "rejected")},
            },
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "index": INT,
                        "id": NULLABLE_STR,
                        "status": {
                            "type": "string",
                            "enum": ["created", "updated", "unchanged", "rejected"],
                        },
                        "errors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"field": STR, "reason": STR},
                            },
                        },
                    },
                },
            },
        },
    },
    "Job": {
        "type": "object",
        "required": ["id", "state", "progress", "counts", "errors"],
        "properties": {
            "id": STR,
            "source": STR,
            "request_id": {
                **NULLABLE_STR,
                "description": "X-Request-ID of the submission; its worker tasks log it",
            },
            "created_at": STR,
            "updated_at": STR,
            "state": {"type": "string", "enum": ["queued", "running", "succeeded", "failed"]},
            "progress": {
                "type": "object",
                "properties": {k: INT for k in ("done", "total", "chunks_done", "chunks")},
            },
            "counts": {
                "type": "object",
                "description": "failed: records of chunks that gave up (none of them stored)",
                "properties": {
                    k: INT for k in ("created", "updated", "unchanged", "rejected", "failed")
                },
            },
            "errors": {
                "type": "array",
                "items": {"type": "object"},
                "description": "Rejected records: position, id and field errors",
            },
            "chunk_errors": {
                "type": "array",
                "description": "Chunks that ran out of retries (JIPPNAS_TASK_MAX_RETRIES)",
                "items": {
                    "type": "object",
                    "properties": {"chunk": INT, "records": INT, "reason": STR},
                },
            },
            "duplicates": {
                "type": "array",
                "description": "Pairs of records (written by this job, or one stored) that may "
                "describe one practice; confirm with POST /api/v1/practices",
                "items": _ref("DuplicateProposal"),
            },
        },
    },
    "DuplicateProposal": {
        "type": "object",
        "properties": {
            "a": STR,
            "b": STR,
            "score": {"type": "number"},
            "reasons": {"type": "array", "items": STR},
        },
    },
}

PATHS: dict[str, Any] = {
    "/api/v1/search": {
        "get": {
            "summary": "Search innovations (hybrid, lexical or semantic) with facet counts",
            "parameters": [],  # the registry's filters: see openapi_document
            "responses": {
                "200": _json(_ref("SearchResponse"), "A page of results"),
                "400": _error("Bad parameter"),
                "503": _error("Engine unavailable"),
            },
        }
    },
    "/api/v1/search/export": {
        "get": {
            "summary": f"The whole result set of a search (up to {EXPORT_LIMIT} records, in the "
            "search's order) as a CSV or JSON download",
            "description": "Takes the search's parameters (page and size are ignored) plus "
            "`format`. CSV has Indonesian column labels and a UTF-8 byte order mark; cells "
            "that would start a spreadsheet formula are prefixed with an apostrophe. JSON "
            "has every stored field of each record and its page's `url`.",
            "parameters": [],  # the search's, plus format: see openapi_document
            "responses": {
                "200": {
                    "description": "The results as an attachment",
                    "content": {
                        "text/csv": {"schema": STR},
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["total", "exported", "limit", "truncated"],
                                "properties": {
                                    "total": INT,
                                    "exported": INT,
                                    "limit": INT,
                                    "truncated": BOOL,
                                    "results": {
                                        "type": "array",
                                        "items": {
                                            "allOf": [
                                                _ref("Innovation"),
                                                {"type": "object", "properties": {"url": STR}},
                                            ]
                                        },
                                    },
                                },
                            }
                        },
                    },
                },
                "400": _error("Bad parameter"),
                "503": _error("Engine unavailable"),
            },
        }
    },
    "/api/v1/suggest": {
        "get": {
            "summary": "Autocomplete: topics, acronyms and practice titles completing the "
            "word being typed",
            "description": "The last word of `q` may be unfinished (at least 2 letters); the "
            "words before it must all be in a suggested title or its tags. Each suggestion "
            "has its kind (topik, singkatan, judul), the whole `query` once taken, and a "
            "`url`: a title's practice page, else the search page for `query`.",
            "parameters": [
                _param("q", {**STR, "maxLength": MAX_SUGGEST_CHARS}, "What is typed so far"),
                _param(
                    "size",
                    {**INT, "minimum": 1, "maximum": MAX_SUGGEST, "default": 8},
                    "How many suggestions at most",
                ),
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["q", "suggestions"],
                        "properties": {
                            "q": STR,
                            "suggestions": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["text", "kind", "query", "url"],
                                    "properties": {
                                        "text": STR,
                                        "kind": {
                                            **STR,
                                            "enum": ["topik", "singkatan", "judul"],
                                        },
                                        "query": STR,
                                        "url": STR,
                                        "id": STR,
                                        "detail": {**STR, "description": "An acronym's long form"},
                                    },
                                },
                            },
                        },
                    },
                    "Suggestions, topics first",
                ),
                "400": _error("Bad parameter"),
                "503": _error("Engine unavailable"),
            },
        }
    },
    "/api/v1/facets": {
        "get": {
            "summary": "Every facet value with its count",
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["total", "facets"],
                        "properties": {"total": INT, "facets": _FACETS},
                    },
                    "Facet counts",
                )
            },
        }
    },
    "/api/v1/innovations": {
        "post": {
            "summary": "Create or update innovations (per-record results)",
            "security": [{"bearer": []}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _RECORDS, "example": [_EXAMPLE_RECORD]}},
            },
            "responses": {
                "200": _json(_ref("WriteResponse"), "Per-record results")
                | {
                    "links": _record_links(
                        "$response.body#/results/0/id",
                        "GetInnovation",
                        "SimilarInnovations",
                        "DeleteInnovation",
                    )
                },
                "400": _error("Body is not a JSON array"),
                **_AUTH_ERRORS,
                "413": _error("Body too large"),
            },
        }
    },
    "/api/v1/innovations/{id}": {
        "get": {
            "summary": "One innovation",
            "parameters": [_RECORD_ID],
            "responses": {
                "200": _json(_ref("Innovation"), "The innovation")
                | {
                    "links": _record_links(
                        "$response.body#/id",
                        "SimilarInnovations",
                        "InnovationLineage",
                        "DeleteInnovation",
                    )
                },
                "404": _error("Unknown id"),
            },
        },
        "delete": {
            "summary": "Delete an innovation",
            "parameters": [_RECORD_ID],
            "security": [{"bearer": []}],
            "responses": {
                "204": {"description": "Deleted"},
                **_AUTH_ERRORS,
                "404": _error("Unknown id"),
            },
        },
    },
    "/api/v1/innovations/{id}/similar": {
        "get": {
            "summary": "Similar innovations worth replicating, each with a reason",
            "parameters": [
                _RECORD_ID,
                _param("size", {**INT, "minimum": 1, "maximum": 50, "default": 5}, "How many"),
                _param(
                    "other_regions",
                    {"type": "boolean", "default": False},
                    "Prefer innovations from other provinces",
                ),
                _DAERAH,
            ],
            "responses": {
                "200": _json(_ref("SimilarResponse"), "Similar innovations"),
                "400": _error("Bad parameter"),
                "404": _error("Unknown id"),
            },
        }
    },
    "/api/v1/innovations/{id}/lineage": {
        "get": {
            "summary": "Replication lineage: what it replicates, who replicated it, the "
            "other records of the same practice, and its spread by region",
            "parameters": [_RECORD_ID],
            "responses": {
                "200": _json(_ref("Lineage"), "The lineage"),
                "404": _error("Unknown id"),
            },
        }
    },
    "/api/v1/practices": {
        "post": {
            "summary": "Confirm that records describe one practice (joins any records "
            "already joined to them); search then shows the practice once",
            "security": [{"bearer": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["ids"],
                            "properties": {
                                "ids": {
                                    "type": "array",
                                    "items": _KINDS["id"],
                                    "minItems": 2,
                                    "maxItems": 50,
                                }
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": _json(
                    {"type": "object", "properties": {"ids": {"type": "array", "items": STR}}},
                    "The practice's record ids",
                ),
                "400": _error("Bad body"),
                **_AUTH_ERRORS,
                "404": _error("Unknown id"),
            },
        }
    },
    "/api/v1/practices/{id}": {
        "delete": {
            "summary": "Undo a confirmation: the record is a practice of its own again",
            "parameters": [_RECORD_ID],
            "security": [{"bearer": []}],
            "responses": {
                "204": {"description": "Done"},
                **_AUTH_ERRORS,
                "404": _error("Unknown id"),
            },
        }
    },
    "/api/v1/jobs": {
        "post": {
            "summary": "Submit an ingest job (file upload or JSON array); follow it at Location",
            "security": [{"bearer": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": _RECORDS},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {"file": {"type": "string", "format": "binary"}},
                        }
                    },
                },
            },
            "responses": {
                "202": _json(_ref("Job"), "Accepted; Location names the job"),
                "400": _error("Unreadable file or body"),
                **_AUTH_ERRORS,
                "413": _error("Upload or record count too large"),
                "503": _error("Job queue (Redis) unavailable"),
            },
        }
    },
    "/api/v1/jobs/{id}": {
        "get": {
            "summary": "State, progress, counts and per-record errors of a job",
            "parameters": [_param("id", STR, "Job id", "path")],
            "responses": {"200": _json(_ref("Job"), "The job"), "404": _error("Unknown job")},
        }
    },
    "/healthz": {
        "get": {
            "summary": "Health",
            "responses": {
                "200": _json({"type": "object"}, "Healthy"),
                "503": _json({"type": "object"}, "Engine unavailable"),
            },
        }
    },
}

# Any operation: a URL over MAX_URL_BYTES is refused before it is routed (app/errors.py).
for _item in PATHS.values():
    for _operation in _item.values():
        _operation["responses"]["414"] = _error(f"URL longer than {MAX_URL_BYTES} bytes")

# Every operation but the health check spends a per-client budget (app/ratelimit.py).
_RATE_LIMITED = _error("Too many requests from this client (rate_limited)") | {
    "headers": {"Retry-After": {"description": "Seconds to wait", "schema": INT}}
}
for _path, _item in PATHS.items():
    for _operation in _item.values() if _path != "/healthz" else ():
        _operation["responses"]["429"] = _RATE_LIMITED


@cache
def openapi_document(fields: Registry = FIELDS) -> dict[str, Any]:
    paths = copy.deepcopy(PATHS)
    paths["/api/v1/search"]["get"]["parameters"] = _search_params(fields)
    export_format = {**STR, "enum": list(FORMATS), "default": "csv"}
    paths["/api/v1/search/export"]["get"]["parameters"] = [
        *_search_params(fields),
        _param("format", export_format, "csv (people, spreadsheets) or json (programs)"),
    ]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "JIPPNas Discovery API",
            "version": "1.0.0",
            "description": "Search Indonesia's public-service innovations.",
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS | _record_schemas(fields),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
