"""Which event loop serves: uvloop by default, the standard library's on request.

uvloop (libuv, in C) runs aiohttp's transports, timers and callbacks with less Python per
request: a keyed create took about 6 % less server CPU on it (bench/, README). `EVENT_LOOP=asyncio`
serves on the standard loop, e.g. for asyncio's debug mode.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

import uvloop

T = TypeVar("T")
EventLoopName = Literal["uvloop", "asyncio"]


def run_on(loop_name: EventLoopName, main: Coroutine[Any, Any, T]) -> T:
    if loop_name == "uvloop":
        return uvloop.run(main)
    return asyncio.run(main)


def running_loop_name() -> str:
    """The package of the running loop's class: "uvloop" or "asyncio"."""
    return type(asyncio.get_running_loop()).__module__.partition(".")[0]
