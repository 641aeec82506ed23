"""The floor: minimal aiohttp endpoints doing only the unavoidable work of each benchmark —
parse a JSON body and answer 201, or serialize a 20-item page and answer 200 — on the event loop
the service runs on (EVENT_LOOP, uvloop unless set), so the ratio compares request work only."""

from __future__ import annotations

import os
import sys

import uvloop
from aiohttp import web

PAGE_ITEM = {
    "_id": "6650a1b2c3d4e5f6a7b8c9d0",
    "name": "Li-Ion 48V Battery Pack",
    "model": "BP-48V-100",
    "category": "batteries",
    "passportCount": 0,
    "status": "active",
    "createdAt": "2026-05-09T10:00:00.000Z",
}


async def create(request: web.Request) -> web.Response:
    body = await request.json()
    return web.json_response({"ok": True, "model": body.get("model")}, status=201)


async def page(request: web.Request) -> web.Response:
    limit = int(request.query.get("limit", "20"))
    items = [PAGE_ITEM] * limit
    data = {"items": items, "total": 10000, "page": 1, "limit": limit, "totalPages": 500}
    return web.json_response({"data": data})


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def main() -> None:
    app = web.Application()
    app.router.add_post("/api/v1/products", create)
    app.router.add_get("/api/v1/products", page)
    app.router.add_get("/healthz", healthz)
    loop = uvloop.new_event_loop() if os.environ.get("EVENT_LOOP", "uvloop") == "uvloop" else None
    web.run_app(
        app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None, loop=loop
    )


if __name__ == "__main__":
    main()
