"""The floor: a minimal aiohttp endpoint that only parses the JSON body and answers 201."""

from __future__ import annotations

import sys

from aiohttp import web


async def create(request: web.Request) -> web.Response:
    body = await request.json()
    return web.json_response({"ok": True, "model": body.get("model")}, status=201)


def main() -> None:
    app = web.Application()
    app.router.add_post("/api/v1/products", create)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
