"""Request limits over real HTTP: long URLs (414) and large bodies (413).

Both under `jippnas serve` (gunicorn, as deployed) and werkzeug's threaded server. Every
refusal must come back in the API's JSON error shape (or, for pages, an Indonesian page)
with the security headers, whether the app or the HTTP server itself answers it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests

from app.errors import MAX_URL_BYTES
from app.security import HEADERS
from bench.servers import free_port
from tests.conftest import TOKEN, make_app, serve

MIB = 1024 * 1024
JSON_HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
# The default body limit (JIPPNAS_MAX_BODY_BYTES); the job limit is lowered to stay quick.
BODY_LIMIT = 10 * MIB
UPLOAD_LIMIT = 12 * MIB


@pytest.fixture(scope="module")
def gunicorn_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`jippnas serve` on a free port over an empty data dir, stopped at the end."""
    port = free_port()
    env = os.environ | {
        "JIPPNAS_DATA_DIR": str(tmp_path_factory.mktemp("served")),
        "JIPPNAS_API_TOKEN": TOKEN,
        "JIPPNAS_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT),
    }
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--threads", "2"]
    log = tmp_path_factory.mktemp("serve-log") / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(f"{url}/healthz", timeout=10)
                break
            except (requests.ConnectionError, requests.Timeout):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"jippnas serve did not start:\n{log.read_text()[-4000:]}")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.fixture(scope="module")
def werkzeug_url(embedder, tmp_path_factory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("limits")
    with serve(make_app(data_dir, embedder, max_upload_bytes=UPLOAD_LIMIT)) as url:
        yield url


def _secure(response: requests.Response) -> None:
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, name


def _api_error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"} and error["code"] == code
    _secure(response)
    return error


# 5,000 bytes: the app answers. 9,000 bytes: over gunicorn's largest request line (8190),
# gunicorn answers itself, through app/server.py's worker.
@pytest.mark.parametrize("length", [5_000, 9_000])
def test_long_urls_are_a_414_in_the_api_shape(gunicorn_url, length):
    query = "?q=" + "a" * (length - len("/api/v1/search?q="))
    response = requests.get(f"{gunicorn_url}/api/v1/search{query}", timeout=30)
    error = _api_error(response, 414, "uri_too_long")
    assert error["details"] == {"max_bytes": MAX_URL_BYTES}
    assert "shorten the query" in error["message"]


def test_long_page_urls_get_an_indonesian_page(gunicorn_url):
    response = requests.get(f"{gunicorn_url}/?q=" + "a" * 4_995, timeout=30)
    assert response.status_code == 414
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Alamat terlalu panjang" in response.text and "hapus" in response.text
    _secure(response)


def test_page_urls_beyond_the_server_limit_still_get_the_error_shape(gunicorn_url):
    """gunicorn refuses these before reading the path: the same JSON shape for all."""
    response = requests.get(f"{gunicorn_url}/?q=" + "a" * 8_995, timeout=30)
    _api_error(response, 414, "uri_too_long")


def test_urls_up_to_the_limit_are_served(gunicorn_url):
    query = "?q=" + "%20" * ((MAX_URL_BYTES - len("/api/v1/search?q=")) // 3)
    assert len("/api/v1/search" + query) <= MAX_URL_BYTES
    assert requests.get(f"{gunicorn_url}/api/v1/search{query}", timeout=30).status_code != 414


def _raw(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_server_refusals_use_the_error_shape(gunicorn_url):
    """Headers too large (431) and a malformed request line (400), answered by gunicorn."""
    big_header = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9_000 + b"\r\n\r\n"
    for request, status in ((big_header, b"431"), (b"GET /\x01 NOPE\r\n\r\n", b"400")):
        head, _, body = _raw(gunicorn_url, request).partition(b"\r\n\r\n")
        assert head.split(b" ")[1] == status, head
        assert b"Content-Type: application/json" in head
        assert b"X-Content-Type-Options: nosniff" in head
        assert body.startswith(b'{"error":{"code":')


def _chunked(total: int, head: bytes = b'["', tail: bytes = b'"]') -> Iterator[bytes]:
    """A JSON array of one long string, `total` bytes in all, sent in chunks (no length)."""
    yield head
    left = total - len(head) - len(tail)
    while left > 0:
        step = min(left, 256 * 1024)
        yield b"x" * step
        left -= step
    yield tail


@pytest.mark.parametrize("server", ["werkzeug", "gunicorn"])
@pytest.mark.parametrize(("path", "limit"), [("innovations", BODY_LIMIT), ("jobs", UPLOAD_LIMIT)])
def test_chunked_bodies_over_the_limit_are_a_413(request, server, path, limit):
    url = request.getfixturevalue(f"{server}_url")
    response = requests.post(
        f"{url}/api/v1/{path}", data=_chunked(limit + MIB), headers=JSON_HEADERS, timeout=120
    )
    assert response.request.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in response.request.headers
    error = _api_error(response, 413, "request_entity_too_large")
    assert str(limit) in error["message"]


def test_a_chunked_body_of_exactly_the_limit_is_accepted(embedder, tmp_path):
    with serve(make_app(tmp_path, embedder, max_body_bytes=MIB)) as url:
        post = f"{url}/api/v1/innovations"
        exact = requests.post(post, data=_chunked(MIB), headers=JSON_HEADERS, timeout=60)
        assert exact.status_code == 200 and exact.json()["summary"]["rejected"] == 1
        over = requests.post(post, data=_chunked(MIB + 1), headers=JSON_HEADERS, timeout=60)
        _api_error(over, 413, "request_entity_too_large")


@pytest.mark.parametrize("server", ["werkzeug", "gunicorn"])
def test_chunked_bodies_under_the_limit_are_still_parsed(request, server):
    url = request.getfixturevalue(f"{server}_url")
    post = f"{url}/api/v1/innovations"
    broken = requests.post(post, data=iter([b'[{"id": ', b"tru"]), headers=JSON_HEADERS)
    assert _api_error(broken, 400, "bad_body")
    deep = iter([b"[" * 100_000, b"]" * 100_000])
    assert _api_error(requests.post(post, data=deep, headers=JSON_HEADERS), 400, "bad_body")
