"""The floor of the benchmark: a minimal aiohttp JSON echo server with Rasa's URL shapes.

`python -m bench.echo_server --port P` answers on 127.0.0.1 only:
GET /status, POST /model/parse (echoes the text) and POST /webhooks/rest/webhook (echoes the message).
"""
from __future__ import annotations

import argparse

from aiohttp import web


async def status(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def parse(request: web.Request) -> web.Response:
    body = await request.json()
    return web.json_response(
        {"text": body.get("text", ""), "intent": {"name": "echo", "confidence": 1.0}, "entities": []}
    )


async def webhook(request: web.Request) -> web.Response:
    body = await request.json()
    return web.json_response([{"recipient_id": body.get("sender"), "text": body.get("message", "")}])


def make_app() -> web.Application:
    """The echo application (also used in-process by the tests)."""
    app = web.Application()
    app.add_routes(
        [
            web.get("/status", status),
            web.post("/model/parse", parse),
            web.post("/webhooks/rest/webhook", webhook),
        ]
    )
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(make_app(), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
