"""Turn driver failures that mean "storage unreachable" into the contract's 503."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from pymongo.errors import ConnectionFailure, PyMongoError

from app.domain.errors import ServiceUnavailable

P = ParamSpec("P")
R = TypeVar("R")
log = logging.getLogger("app.storage")


def is_unreachable(exc: PyMongoError) -> bool:
    # ConnectionFailure covers AutoReconnect, NetworkTimeout and ServerSelectionTimeoutError.
    return isinstance(exc, ConnectionFailure) or bool(getattr(exc, "timeout", False))


def translate_errors(
    func: Callable[P, Coroutine[Any, Any, R]],
) -> Callable[P, Coroutine[Any, Any, R]]:
    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await func(*args, **kwargs)
        except PyMongoError as exc:
            if is_unreachable(exc):
                log.warning("storage unreachable in %s: %s", func.__qualname__, type(exc).__name__)
                raise ServiceUnavailable() from exc
            raise

    return wrapper
