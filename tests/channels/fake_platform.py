"""A fake WeCom / WeChat / Feishu API on 127.0.0.1 that records every request it receives.

It keeps the published limits the connectors must live with:
  - WeCom `message/send` cuts `text.content` after 2,048 bytes ("超过将截断"); `delivered` is
    what the member sees.
  - Each Official Account `cgi-bin/token` call issues a new token; the previous one keeps working
    for 5 minutes only, so replicas fetching their own break each other.
  - The customer-service API answers 48001 (account not verified) or 45015 (user silent for
    48 h) for the followers listed in `refused_followers`.
"""

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

WECOM_TOKEN = "wecom-access-token"
OA_TOKEN = "oa-access-token"
FEISHU_TOKEN = "t-feishu-tenant-token"
# The app credentials the tests configure the connectors with.
TEST_SECRETS = {
    "wecom_corp_id": "ww0123456789abcdef",
    "wecom_secret": "wecom-app-secret",
    "oa_app_id": "wx0123456789abcdef",
    "oa_secret": "oa-app-secret",
    "feishu_app_id": "cli_a1b2c3d4e5",
    "feishu_app_secret": "feishu-app-secret",
}
WECOM_TEXT_BYTES = 2048
OA_TOKEN_OVERLAP_SECONDS = 300
OA_REFUSALS = {48001: "api unauthorized", 45015: "response out of time limit"}


@dataclass
class Recorded:
    """One request the fake API received."""

    method: str
    path: str
    query: Dict[str, str]
    headers: Dict[str, str]
    body: Any


class FakePlatformApi:
    """Token endpoints that check the app secrets, message endpoints that check the token."""

    def __init__(self, secrets: Dict[str, str]) -> None:
        self.secrets = secrets
        self.requests: List[Recorded] = []
        self.token_generation = 0
        self._expired_at = 0.0
        self.refused_followers: Dict[str, int] = {}
        self._oa_tokens: List[Tuple[str, float]] = []  # (token, issued at), newest last
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "FakePlatformApi":
        """Serves in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops serving."""
        self._server.shutdown()
        self._server.server_close()

    def sent(self, path: str, match: Callable[[Recorded], bool]) -> List[Recorded]:
        """Requests to path that match."""
        with self._lock:
            return [r for r in self.requests if r.path == path and match(r)]

    def expire_tokens(self) -> None:
        """Invalidates every access token handed out so far (as the platforms do after 2 h)."""
        with self._lock:
            self.token_generation += 1
            self._expired_at = time.monotonic()

    def token(self, name: str) -> str:
        """The currently valid access token of a platform."""
        if name == OA_TOKEN:
            return self._oa_tokens[-1][0] if self._oa_tokens else ""
        return f"{name}-{self.token_generation}"

    def delivered(self, user: str) -> List[str]:
        """The WeCom texts the member sees, in order (cut at 2,048 bytes as WeCom does)."""
        sent = self.sent("/cgi-bin/message/send", lambda r: r.body["touser"] == user)
        return [
            r.body["text"]["content"].encode("utf-8")[:WECOM_TEXT_BYTES].decode("utf-8", "ignore")
            for r in sent
        ]

    def _issue_oa_token(self) -> str:
        token = f"{OA_TOKEN}-{len(self._oa_tokens) + 1}"
        self._oa_tokens.append((token, time.monotonic()))
        return token

    def _oa_token_valid(self, token: Optional[str]) -> bool:
        tokens = self._oa_tokens
        for index, (issued, issued_at) in enumerate(tokens):
            if issued == token and issued_at >= self._expired_at:
                if index == len(tokens) - 1:
                    return True
                return time.monotonic() - tokens[index + 1][1] < OA_TOKEN_OVERLAP_SECONDS
        return False

    def _answer(self, record: Recorded) -> Tuple[int, Dict[str, Any]]:
        query, body, secrets = record.query, record.body or {}, self.secrets
        wecom, feishu = self.token(WECOM_TOKEN), self.token(FEISHU_TOKEN)
        routes: Dict[str, Callable[[], Dict[str, Any]]] = {
            "/cgi-bin/gettoken": lambda: (
                {"errcode": 0, "access_token": wecom, "expires_in": 7200}
                if query.get("corpid") == secrets["wecom_corp_id"]
                and query.get("corpsecret") == secrets["wecom_secret"]
                else {"errcode": 40001, "errmsg": "invalid credential"}
            ),
            "/cgi-bin/message/send": lambda: (
                {"errcode": 0, "errmsg": "ok"}
                if query.get("access_token") == wecom
                else {"errcode": 42001, "errmsg": "access_token expired"}
            ),
            "/cgi-bin/token": lambda: (
                {"access_token": self._issue_oa_token(), "expires_in": 7200}
                if query.get("appid") == secrets["oa_app_id"]
                and query.get("secret") == secrets["oa_secret"]
                and query.get("grant_type") == "client_credential"
                else {"errcode": 40001, "errmsg": "invalid credential"}
            ),
            "/cgi-bin/message/custom/send": lambda: (
                {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
                if not self._oa_token_valid(query.get("access_token"))
                else {"errcode": refusal, "errmsg": OA_REFUSALS[refusal]}
                if (refusal := self.refused_followers.get(body.get("touser", "")))
                else {"errcode": 0, "errmsg": "ok"}
            ),
            "/open-apis/auth/v3/tenant_access_token/internal": lambda: (
                {"code": 0, "msg": "ok", "tenant_access_token": feishu, "expire": 7200}
                if body.get("app_id") == secrets["feishu_app_id"]
                and body.get("app_secret") == secrets["feishu_app_secret"]
                else {"code": 10014, "msg": "app secret invalid"}
            ),
            "/open-apis/im/v1/messages": lambda: (
                {"code": 0, "msg": "success", "data": {"message_id": "om_reply"}}
                if record.headers.get("authorization") == f"Bearer {feishu}"
                else {"code": 99991663, "msg": "invalid tenant access token"}
            ),
        }
        route = routes.get(record.path)
        return (200, route()) if route else (404, {"error": "not found"})

    def _handler(self) -> type:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body: Optional[Any] = json.loads(raw) if raw else None
                record = Recorded(
                    self.command,
                    parts.path,
                    {k: v[0] for k, v in parse_qs(parts.query).items()},
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with fake._lock:
                    fake.requests.append(record)
                    status, answer = fake._answer(record)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _serve
            do_POST = _serve

            def log_message(self, *args: Any) -> None:
                pass

        return Handler
