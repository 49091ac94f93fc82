"""Serves the help-site page (web/) and the pinned rasa-webchat bundle from the assistant itself.

Registered as an input channel so that `rasa run` serves it: /webchat/ is the page,
/webchat/static/<file> its own script and style, /webchat/widget.js the widget from
web/node_modules (installed by `npm ci` in web/). Nothing is loaded from another host.
"""

from pathlib import Path
from typing import Any, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.exceptions import NotFound
from sanic.request import Request
from sanic.response import HTTPResponse

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
WIDGET_BUNDLE = WEB_ROOT / "node_modules" / "rasa-webchat" / "lib" / "index.js"
STATIC_FILES = {"app.js": "text/javascript", "style.css": "text/css"}

# The page only talks to its own origin (page, widget, socket.io). The widget injects its CSS
# at run time, hence 'unsafe-inline' for styles only.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class WebPageInput(InputChannel):
    """The help-site page with the chat widget (not a message channel: it only serves files)."""

    @classmethod
    def name(cls) -> Text:
        """Channel name used in logs."""
        return "web_page"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WebPageInput":
        """Needs no settings."""
        return cls()

    def url_prefix(self) -> Text:
        """Absolute prefix, so the page lives at /webchat/ rather than under /webhooks/."""
        return "/webchat"

    def blueprint(self, on_new_message: Callable[..., Any]) -> Blueprint:
        """Routes for the page, its static files and the widget bundle."""
        page = Blueprint("web_page", __name__)

        @page.route("/", methods=["GET"])
        async def index(request: Request) -> HTTPResponse:
            return await response.file(
                WEB_ROOT / "index.html",
                mime_type="text/html; charset=utf-8",
                headers=SECURITY_HEADERS,
            )

        @page.route("/static/<name>", methods=["GET"])
        async def static(request: Request, name: Text) -> HTTPResponse:
            if name not in STATIC_FILES:
                raise NotFound("no such file")
            return await response.file(
                WEB_ROOT / name,
                mime_type=f"{STATIC_FILES[name]}; charset=utf-8",
                headers=SECURITY_HEADERS,
            )

        @page.route("/widget.js", methods=["GET"])
        async def widget(request: Request) -> HTTPResponse:
            if not WIDGET_BUNDLE.is_file():
                return response.text(
                    "rasa-webchat is not installed: run `npm ci` in web/", status=503
                )
            return await response.file(
                WIDGET_BUNDLE,
                mime_type="text/javascript; charset=utf-8",
                headers=SECURITY_HEADERS,
            )

        return page
