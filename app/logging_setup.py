"""One JSON object per log line: the stdlib loggers rendered by structlog's ProcessorFormatter.
The access log writes lines of the same shape itself (app/http/access_log.py)."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

import structlog


class UtcTimestamper:
    """A structlog processor: `timestamp` as `2026-05-09T10:00:00.123456Z`, like structlog's
    `TimeStamper(fmt="iso", utc=True)` but with the fraction always present, and cheaper: the
    date and time of day are formatted once per second, not once per line (one line per request
    is on the hot path; building a datetime and calling isoformat was a fifth of its cost)."""

    __slots__ = ("_second",)

    def __init__(self) -> None:
        self._second: tuple[int, str] = (-1, "")  # (unix second, its "YYYY-MM-DDTHH:MM:SS.")

    def now(self) -> str:
        now = time.time()
        second = int(now)
        cached_second, prefix = self._second
        if second != cached_second:
            prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
            self._second = (second, prefix)  # one tuple: threads see the old or the new pair
        return f"{prefix}{int((now - second) * 1_000_000):06d}Z"

    def __call__(
        self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        event_dict["timestamp"] = self.now()
        return event_dict


def configure_logging(level: str) -> None:
    processors: list[structlog.typing.Processor] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        UtcTimestamper(),
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=processors,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
