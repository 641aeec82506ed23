"""Requests aiohttp rejects before any middleware runs still get the contract's JSON, from the
real process (python -m app), and the process stays healthy."""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.live_server import IN_MEMORY, LiveServer, live_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("raw"), storage=IN_MEMORY) as running:
        yield running


def send_raw(server: LiveServer, payload: bytes) -> tuple[int, dict[str, str], bytes]:
    address = urlsplit(server.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
        conn.sendall(payload)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


RAW_CASES = [
    ("garbage request line", b"HELLO\r\n\r\n", 400),
    ("bad method token", b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("NUL in a header value", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400),
    ("header without colon", b"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400),
    (
        "bare CR in Idempotency-Key",
        b"POST /api/v1/products HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\rX-Injected: 1\r\n"
        b"Content-Length: 2\r\n\r\n{}",
        400,
    ),
    (
        "NUL in Idempotency-Key",
        b"POST /api/v1/products HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\x00b\r\n"
        b"Content-Length: 2\r\n\r\n{}",
        400,
    ),
    (
        "oversize header",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n",
        431,
    ),
    ("oversize request line", b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 431),
    (
        "bad content-length",
        b"POST /api/v1/products HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        400,
    ),
    (
        "conflicting lengths",
        b"POST /api/v1/products HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
]


@pytest.mark.parametrize(("name", "payload", "status"), RAW_CASES, ids=[c[0] for c in RAW_CASES])
def test_malformed_http_gets_json(
    server: LiveServer, name: str, payload: bytes, status: int
) -> None:
    got, headers, body = send_raw(server, payload)
    assert got == status, (name, body[:200])
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["x-request-id"]
    parsed = json.loads(body)
    assert set(parsed) == {"error", "message", "code"} and parsed["code"] in (
        "bad_request",
        "request_header_fields_too_large",
    )
    assert parsed["message"] == parsed["error"]
    with urllib.request.urlopen(f"{server.base_url}/healthz", timeout=5) as response:
        assert response.status == 200


def test_rejections_are_logged_as_one_line_without_traceback(server: LiveServer) -> None:
    send_raw(server, b"HELLO\r\n\r\n")
    log = server.log()
    assert "rejected malformed request" in log
    assert "Traceback" not in log
