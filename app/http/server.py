"""Serving the app: JSON errors even for requests aiohttp rejects before any middleware runs, and
a graceful shutdown on SIGTERM/SIGINT that waits for the requests in flight.

aiohttp answers a malformed request line, broken headers or oversized headers itself, as plain
text, from `RequestHandler.handle_error`. The service promises JSON on every path, so the
runner's server builds a request handler that renders those errors in the contract's shape.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from app.domain.distinct_ids import distinct_id
from app.domain.errors import ApiError, HeadersTooLarge, InternalError, MalformedRequest
from app.event_loops import running_loop_name
from app.http.app_keys import IN_FLIGHT
from app.http.header_names import REQUEST_ID as REQUEST_ID_HEADER

log = logging.getLogger("app.server")
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class JsonErrorRequestHandler(RequestHandler):
    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        request_id = distinct_id()
        error: ApiError
        if isinstance(exc, LineTooLong):
            error = HeadersTooLarge()
        elif isinstance(exc, HttpProcessingError) or 400 <= status < 500:
            error = MalformedRequest()
        else:
            error = InternalError(request_id)
        if error.status < 500:
            # The client's fault: one line, no traceback (they arrive by the thousand on the
            # open internet and say nothing about the service).
            log.warning(
                "rejected malformed request from %s: %s (%s)",
                request.remote,
                type(exc).__name__ if exc is not None else status,
                request_id,
            )
        else:
            self.log_exception("error handling request %s", request_id, exc_info=exc)
        if request.writer.output_size > 0:
            raise ConnectionError("response already started; cannot send an error response")
        response = web.Response(status=error.status, body=error.body_bytes())
        response.headers["Content-Type"] = JSON_CONTENT_TYPE
        response.headers[REQUEST_ID_HEADER] = request_id
        response.force_close()
        return response


class JsonErrorServer(web.Server):
    def __call__(self) -> RequestHandler:
        return JsonErrorRequestHandler(self, loop=self._loop, **self._kwargs)


class ServiceRunner(web.AppRunner):
    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # Same server, with the JSON-rendering request handler (tests/test_raw_http.py pins
        # this against the real process, so an aiohttp upgrade that changes it fails CI).
        server.__class__ = JsonErrorServer
        return server


async def serve(
    app: web.Application,
    host: str,
    port: int,
    *,
    shutdown_grace_seconds: float,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve until SIGTERM or SIGINT, then stop accepting, let in-flight requests finish
    (bounded by the grace period), run the app's cleanup and return."""
    # aiohttp's own shutdown wait is kept short: by the time it runs, the drain below has
    # already waited for the requests in flight.
    runner = ServiceRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        announce(
            f"Serving on http://{host}:{port}, event loop {running_loop_name()}"
            " (SIGTERM or Ctrl+C stops gracefully)"
        )
        await stop.wait()
        in_flight = app[IN_FLIGHT]
        log.info(
            "shutting down: no new connections; up to %ss for %d request(s) in flight",
            shutdown_grace_seconds,
            in_flight.count,
        )
        await site.stop()  # closes the listening socket; open connections keep going
        in_flight.draining = True
        try:
            async with asyncio.timeout(shutdown_grace_seconds):
                await in_flight.wait_idle()
        except TimeoutError:
            log.warning("grace period over: cancelling %d request(s)", in_flight.count)
    finally:
        await runner.cleanup()
