"""The serving event loop (EVENT_LOOP): uvloop unless set, the standard loop on request; on
either, the real process answers parallel creates and stops gracefully on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp
import pytest

from tests.live_server import IN_MEMORY, live_server


@pytest.mark.parametrize(
    ("environment", "expected_loop"),
    [({}, "uvloop"), ({"EVENT_LOOP": "uvloop"}, "uvloop"), ({"EVENT_LOOP": "asyncio"}, "asyncio")],
)
async def test_the_service_serves_on_the_configured_loop(
    tmp_path: Path, environment: dict[str, str], expected_loop: str
) -> None:
    with live_server(tmp_path, storage=IN_MEMORY, **environment) as server:
        headers = {"Authorization": f"Bearer {server.key}"}
        async with aiohttp.ClientSession() as session:

            async def create(i: int) -> int:
                body = {"name": "Pack", "model": f"LOOP-{i}", "category": "batteries"}
                async with session.post(
                    f"{server.base_url}/api/v1/products",
                    json=body,
                    headers={**headers, "Idempotency-Key": f"loop-{i}"},
                ) as response:
                    return response.status

            statuses = await asyncio.gather(*(create(i) for i in range(24)))
            async with session.get(
                f"{server.base_url}/api/v1/products?limit=1", headers=headers
            ) as response:
                total = (await response.json())["data"]["total"]
        assert statuses == [201] * 24
        assert total == 24
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=15) == 0
    started = next(line for line in server.log().splitlines() if line.startswith("Serving on"))
    assert f"event loop {expected_loop} " in started


def test_an_unknown_event_loop_refuses_to_start(tmp_path: Path) -> None:
    with (
        pytest.raises(RuntimeError, match="exited"),
        live_server(tmp_path, storage=IN_MEMORY, EVENT_LOOP="trio"),
    ):
        pass
    assert "event_loop" in (tmp_path / "service.log").read_text()
