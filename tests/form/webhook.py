"""A real local HTTP server standing in for the handoff webhook: scripted status codes."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List


class ScriptedWebhook:
    """Answers POSTs with the next status of ``statuses`` (the last one repeats); records bodies."""

    def __init__(self, statuses: List[int], delay: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.delay = delay
        self.received: List[Dict[str, Any]] = []
        self.calls = 0
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                index = min(webhook.calls, len(webhook.statuses) - 1)
                webhook.calls += 1
                status = webhook.statuses[index]
                if webhook.delay:
                    time.sleep(webhook.delay)
                if 200 <= status < 300:
                    webhook.received.append(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/handoff"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "ScriptedWebhook":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
