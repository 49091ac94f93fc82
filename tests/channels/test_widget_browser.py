"""The help-site page in headless Debian Chromium (Playwright, system browser, no download).

Opens /webchat/ on the real Rasa + action servers, starts the chat, clicks a quick reply, types
Chinese, and checks what the widget shows against the conversation Rasa recorded. Every request
to a host other than loopback is aborted; the page must work regardless.

axe-core (web/node_modules, pinned in web/package-lock.json) audits the page against the WCAG 2
A/AA rules with the chat closed, open, showing buttons and showing the finished request; its
findings go to reports/axe-widget.json. It is injected as an init script: the page's CSP
(script-src 'self') refuses the inline <script> of Playwright's add_script_tag, as it should.
"""

import json
import re
import shutil
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.servers import ROOT, Stack, start_stack

sync_api = pytest.importorskip("playwright.sync_api")

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
SCREENSHOTS = ROOT / "reports" / "screenshots"
SCREENSHOT = SCREENSHOTS / "widget.png"
AXE_SCRIPT = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
AXE_REPORT = ROOT / "reports" / "axe-widget.json"
# preload: false keeps axe from fetching the stylesheets itself (it would try the widget's
# Google-Fonts one, which the CSP refuses); the WCAG 2 A/AA rules do not need them.
WCAG_A_AA = "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}, preload: false})"
GUIDE = yaml.safe_load((ROOT / "knowledge" / "guide.yml").read_text(encoding="utf-8"))
SELLER_DESK = GUIDE["channels"]["seller_channel"]["url"]
SERVICE_EMAIL = GUIDE["channels"]["email"]["address"]
TYPED = "我的包裹一直没有收到，怎么联系卖家？"
MARKUP = '<img src="x" onerror="window.__xss = 1"><b>加粗</b>'
ORDER_MESSAGE = "我的订单8123456789012345一直没收到货"
ENGLISH = "How can I reach a human agent?"
SCRIPT_LINK_TEXT = "点这里"
SCRIPT_LINK = "javascript:window.__scriptLinkRan=1"
TIMEOUT_MS = 60_000
BOT_TEXT = ".rw-response .rw-message-text"  # bot bubbles (not the typing indicator)
REPLY = ".rw-replies .rw-reply"
CJK = re.compile(r"[\u3400-\u9fff]")
CSP_REFUSAL = re.compile(r"^Loading the \w+ '(https?://[^']+)' violates the following Content Security Policy")


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The real servers; the guard's rate limit is set for a scripted conversation."""
    running = start_stack(
        tmp_path_factory.mktemp("widget-stack"), env={"GUARD_RATE_CAPACITY": "30"}, model=trained_model
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.fail("Debian chromium missing: run scripts/system-deps.sh")
    cjk_fonts = list(Path("/usr/share/fonts").rglob("*CJK*"))
    assert cjk_fonts, "no CJK font: install fonts-noto-cjk (scripts/system-deps.sh)"
    assert AXE_SCRIPT.is_file(), "axe-core missing: run `npm ci` in web/"
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def axe_findings() -> Iterator[Dict[str, List[str]]]:
    """WCAG 2 A/AA violations per audited state, written to reports/axe-widget.json."""
    findings: Dict[str, List[str]] = {}
    yield findings
    AXE_REPORT.parent.mkdir(parents=True, exist_ok=True)
    AXE_REPORT.write_text(json.dumps(findings, ensure_ascii=False, indent=2), encoding="utf-8")


class Browsing:
    """A browser context that aborts every request to another host and records what the page
    fetched, refused and reported as errors."""

    def __init__(self, browser: Any, **options: Any) -> None:
        self.aborted: List[str] = []
        self.loopback_requests: List[str] = []
        self.page_errors: List[str] = []
        self.console_errors: List[str] = []
        self.context = browser.new_context(locale="zh-CN", **options)
        self.context.route("**/*", self._only_loopback)
        self.context.add_init_script(path=str(AXE_SCRIPT))
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        self.page.on("console", lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None)
        self.page.set_default_timeout(TIMEOUT_MS)

    def _only_loopback(self, route: Any) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in LOOPBACK:
            self.loopback_requests.append(route.request.url)
            route.continue_()
        else:
            self.aborted.append(route.request.url)
            route.abort()

    def refused_by_csp(self) -> List[str]:
        return [m.group(1) for m in map(CSP_REFUSAL.search, self.console_errors) if m]

    def assert_no_errors(self) -> None:
        """Nothing but refusals of other hosts' resources (the widget's Google-Fonts stylesheet)."""
        assert not self.page_errors, self.page_errors
        assert not [e for e in self.console_errors if not CSP_REFUSAL.search(e)], self.console_errors


def tracker(stack: Stack, sender: str) -> Dict[str, Any]:
    return requests.get(f"{stack.rasa.url}/conversations/{sender}/tracker", timeout=30).json()


def session_id(page: Any) -> str:
    return page.evaluate("JSON.parse(sessionStorage.getItem('chat_session')).session_id")


def settled_events(page: Any, stack: Stack, session: str, users: int) -> List[Dict[str, Any]]:
    """Waits until Rasa has answered the users-th user message of the session and the widget
    shows every text reply; returns the tracker's events.

    The widget shows a reply as soon as it is emitted; Rasa stores the tracker just after.
    """
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        events = tracker(stack, session)["events"]
        answered = (
            sum(e["event"] == "user" for e in events) >= users
            and events[-1]["event"] == "action"
            and events[-1]["name"] == "action_listen"
        )
        if answered:
            break
        assert time.monotonic() < deadline, f"Rasa did not answer user message {users}"
        time.sleep(0.3)
    wait_for_count(page, BOT_TEXT, len(bot_texts(events)))
    return events


def bot_texts(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [e for e in events if e["event"] == "bot" and e.get("text")]


def settled_replies(page: Any, stack: Stack, session: str, users: int) -> List[Dict[str, Any]]:
    """The bot events with text once the users-th user message is answered and shown."""
    return bot_texts(settled_events(page, stack, session, users))


def squash(text: str) -> str:
    """Text with runs of white space made one space (markdown rendering reflows lines)."""
    return " ".join(text.split())


def wait_for_count(page: Any, selector: str, at_least: int) -> None:
    """Waits until selector matches at least that many elements (the page's CSP forbids eval)."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while page.locator(selector).count() < at_least:
        assert time.monotonic() < deadline, f"fewer than {at_least} of {selector}"
        page.wait_for_timeout(200)


def still(page: Any) -> None:
    """Waits for the widget's slide-in animations (a cancelled one rejects: allSettled)."""
    page.evaluate("Promise.allSettled(document.getAnimations().map(animation => animation.finished))")


def snapshot(page: Any, name: str) -> None:
    """A screenshot under reports/screenshots/ once the widget stands still."""
    still(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


def audit(page: Any, findings: Dict[str, List[str]], state: str) -> None:
    """Records axe-core's WCAG 2 A/AA violations in this state; assert_accessible checks them
    at the end, so the report lists every state audited until then."""
    still(page)
    result = page.evaluate(WCAG_A_AA)
    findings[state] = [
        f"{v['impact']} {v['id']}: {' | '.join(' '.join(map(str, n['target'])) for n in v['nodes'])}"
        for v in result["violations"]
    ]


def assert_accessible(findings: Dict[str, List[str]]) -> None:
    violations = {state: found for state, found in findings.items() if found}
    assert not violations, f"axe-core WCAG 2 A/AA violations: {violations}"


def tab_to(page: Any, selector: str, presses: int = 60) -> None:
    """Presses Tab until the focused element matches selector."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("selector => document.activeElement.matches(selector)", selector):
            return
    pytest.fail(f"Tab never reaches {selector}")


def test_widget_chat_in_real_browser(browser: Any, stack: Stack) -> None:
    browsing = Browsing(browser, viewport={"width": 1100, "height": 800})
    page = browsing.page
    try:
        page.goto(f"{stack.rasa.url}/webchat/?role=seller")
        assert page.title() == "速卖通帮助中心 · 在线客服助手"

        # Start the chat: the launcher opens the widget, whose initPayload asks for the greeting.
        page.click(".rw-launcher")
        page.wait_for_selector(".rw-conversation-container .rw-title >> text=速卖通客服助手")
        page.locator(BOT_TEXT).first.wait_for()
        session = session_id(page)
        bot_events = settled_replies(page, stack, session, users=1)
        assert bot_events, "Rasa recorded no reply for the widget's session"
        assert squash(page.locator(BOT_TEXT).first.inner_text()) == squash(bot_events[0]["text"])

        # The greeting offers quick replies; clicking one sends its payload.
        buttons = bot_events[0]["data"].get("buttons") or []
        assert buttons, "the greeting must offer quick-reply buttons"
        page.locator(REPLY).first.wait_for()
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT.with_name("widget-greeting.png")))
        page.locator(REPLY).first.click()
        page.locator(".rw-client", has_text=buttons[0]["title"]).wait_for()
        after_click = settled_replies(page, stack, session, users=2)
        assert len(after_click) > len(bot_events), "no reply to the quick reply"

        # Chinese typed into the input box.
        page.fill(".rw-new-message", TYPED)
        page.keyboard.press("Enter")
        page.locator(".rw-client", has_text=TYPED).wait_for()
        after_typing = settled_replies(page, stack, session, users=3)
        assert len(after_typing) > len(after_click), "no reply to the typed question"

        # Markup typed by the user is shown as text, never rendered.
        page.fill(".rw-new-message", MARKUP)
        page.keyboard.press("Enter")
        page.locator(".rw-client", has_text='<img src="x"').wait_for()
        recorded = [squash(e["text"]) for e in settled_replies(page, stack, session, users=4)]
        assert page.locator(".rw-messages-container img[src='x'], .rw-messages-container b").count() == 0
        assert page.evaluate("window.__xss === undefined")

        # What the widget shows is exactly what Rasa answered, in order.
        assert [squash(t) for t in page.locator(BOT_TEXT).all_inner_texts()] == recorded

        user_events = [e for e in tracker(stack, session)["events"] if e["event"] == "user"]
        assert [e["text"] for e in user_events] == ["/greet", buttons[0]["payload"], TYPED, MARKUP]
        metadata = user_events[2]["metadata"]
        assert metadata["role"] == "seller" and metadata["language"] == "zh"
        assert metadata["page"] == "/webchat/"

        page.screenshot(path=str(SCREENSHOT), full_page=True)
    finally:
        browsing.context.close()

    # What was kept from other hosts (aborted by the route, or refused earlier by the page's
    # Content-Security-Policy, e.g. the widget's Google-Fonts stylesheet) is recorded; the chat
    # above worked without it. Any other browser error fails the test.
    blocked = sorted(set(browsing.aborted + browsing.refused_by_csp()))
    (SCREENSHOT.parent / "widget-blocked-requests.txt").write_text(
        "".join(f"{url}\n" for url in blocked), encoding="utf-8"
    )
    assert all(urlsplit(url).hostname not in LOOPBACK for url in blocked)
    assert any(url.endswith("/webchat/widget.js") for url in browsing.loopback_requests)
    browsing.assert_no_errors()


def test_page_and_widget_are_served_by_the_assistant(stack: Stack) -> None:
    page = requests.get(f"{stack.rasa.url}/webchat/", timeout=10)
    assert page.status_code == 200 and "速卖通帮助中心" in page.text
    policy = dict(rule.strip().split(" ", 1) for rule in page.headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'", policy
    for src in ("/webchat/widget.js", "/webchat/static/app.js"):
        assert f'src="{src}"' in page.text
        assert requests.get(stack.rasa.url + src, timeout=10).status_code == 200
    assert "http" not in page.text.split("<body>")[1], "the page must not reference other hosts"
    assert requests.get(f"{stack.rasa.url}/webchat/static/..%2Fpackage.json", timeout=10).status_code == 404


def test_unconfigured_connectors_stay_off_without_crashing(stack: Stack) -> None:
    for channel in ("wecom", "feishu", "wechat_oa"):
        assert requests.get(f"{stack.rasa.url}/webhooks/{channel}/", timeout=10).json() == {
            "status": "disabled"
        }
        answer = requests.post(f"{stack.rasa.url}/webhooks/{channel}/webhook", data=b"{}", timeout=10)
        assert answer.status_code == 503


def ask(page: Any, stack: Stack, session: str, text: str, users: int) -> List[Dict[str, Any]]:
    """Types text into the input box, sends it with Enter, returns the settled tracker events."""
    page.fill(".rw-new-message", text)
    page.keyboard.press("Enter")
    page.locator(".rw-client", has_text=text).wait_for()
    return settled_events(page, stack, session, users)


def choose(page: Any, stack: Stack, session: str, title: str, users: int) -> List[Dict[str, Any]]:
    """Clicks the quick reply with this title, returns the settled tracker events."""
    page.locator(REPLY, has_text=title).click()
    page.locator(".rw-client", has_text=title).wait_for()
    return settled_events(page, stack, session, users)


def last_buttons(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return bot_texts(events)[-1]["data"].get("buttons") or []


def test_widget_is_accessible_links_open_and_the_request_is_copied(
    browser: Any, stack: Stack, axe_findings: Dict[str, List[str]]
) -> None:
    browsing = Browsing(
        browser, viewport={"width": 1100, "height": 800}, permissions=["clipboard-read", "clipboard-write"]
    )
    page = browsing.page
    try:
        page.goto(f"{stack.rasa.url}/webchat/?role=buyer")
        page.locator(".rw-launcher").wait_for()
        audit(page, axe_findings, "closed")

        page.click(".rw-launcher")
        page.locator(BOT_TEXT).first.wait_for()
        session = session_id(page)
        settled_events(page, stack, session, users=1)
        audit(page, axe_findings, "open")

        # Addresses in answers are links: the seller desk opens in a new tab (the route aborts
        # the request to the other host, which proves the tap went there), e-mail opens mail.
        ask(page, stack, session, "我是卖家，卖家后台的客服入口在哪", users=2)
        desk = page.locator(f'.rw-response a[href="{SELLER_DESK}"]').last
        assert desk.get_attribute("target") == "_blank"
        assert {"noopener", "noreferrer"} <= set(desk.get_attribute("rel").split())
        with page.expect_popup() as opened:
            desk.click()
        opened.value.close()
        assert SELLER_DESK in browsing.aborted
        ask(page, stack, session, "邮件客服的地址是什么", users=3)
        mail = page.locator(f'.rw-response a[href="mailto:{SERVICE_EMAIL}"]').last
        assert mail.inner_text() == SERVICE_EMAIL and mail.get_attribute("target") is None
        snapshot(page, "widget-links.png")
        assert page.locator(".rw-messages-container").evaluate("box => box.scrollWidth <= box.clientWidth")
        links = page.locator(".rw-messages-container a").evaluate_all(
            "links => links.map(link => [link.protocol, link.rel])"
        )
        assert links and all(protocol in ("https:", "http:", "mailto:") for protocol, _ in links), links
        assert all("noopener" in rel for protocol, rel in links if protocol != "mailto:"), links

        # The support-request form asks for the order number first, as the request template has it,
        # then offers quick replies until the summary asks to confirm.
        ask(page, stack, session, "帮我整理要发给客服的问题", users=4)
        events = ask(page, stack, session, ORDER_MESSAGE, users=5)
        assert last_buttons(events), "after the order number the form asks with buttons"

        # Answer the form's questions with its first quick reply until the summary asks to confirm.
        users = 5
        while not any(b["payload"] == "/affirm" for b in last_buttons(events)):
            assert last_buttons(events) and users < 10, "the form asks with buttons until the summary"
            users += 1
            events = choose(page, stack, session, last_buttons(events)[0]["title"], users=users)
        confirm = [b for b in last_buttons(events) if b["payload"] == "/affirm"]
        page.locator(REPLY).first.wait_for()
        audit(page, axe_findings, "showing buttons")

        events = choose(page, stack, session, confirm[0]["title"], users=users + 1)
        requests_sent = [
            e["data"]["custom"]["text"]
            for e in events
            if e["event"] == "bot" and (e["data"].get("custom") or {}).get("type") == "support_request"
        ]
        assert requests_sent, "the saved request is sent as a support_request message"
        block = page.locator(".rw-support-request").last
        block.wait_for()
        assert block.locator(".rw-support-request-text").inner_text() == requests_sent[-1]
        assert "8123456789012345" in requests_sent[-1]
        block.locator(".rw-copy-button").click()
        block.locator(".rw-copy-status").filter(has_text=re.compile(".")).wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == requests_sent[-1]
        block.scroll_into_view_if_needed()
        snapshot(page, "widget-request-copied.png")
        audit(page, axe_findings, "after the finished request")
    finally:
        browsing.context.close()
    assert_accessible(axe_findings)
    browsing.assert_no_errors()


def test_widget_by_keyboard_alone_on_a_phone(browser: Any, stack: Stack, axe_findings: Dict[str, List[str]]) -> None:
    browsing = Browsing(browser, viewport={"width": 375, "height": 667}, has_touch=True)
    page = browsing.page
    widget = page.locator("#rasaWebchatPro")
    try:
        page.goto(f"{stack.rasa.url}/webchat/?role=buyer")
        page.locator(".rw-launcher").wait_for()
        snapshot(page, "widget-phone-closed.png")

        # Open with the keyboard: the launcher is a named button reached by Tab.
        tab_to(page, ".rw-launcher")
        page.keyboard.press("Enter")
        page.locator(BOT_TEXT).first.wait_for()
        session = session_id(page)
        greeting = settled_events(page, stack, session, users=1)
        page.locator(REPLY).first.wait_for()
        audit(page, axe_findings, "open on a phone")

        # The conversation fits the phone: nothing sticks out sideways, input and send are on screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        for part in (".rw-conversation-container", ".rw-new-message", ".rw-send", ".rw-close-button"):
            box = page.locator(part).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375, (part, box)
            assert box["y"] >= 0 and box["y"] + box["height"] <= 667, (part, box)
        snapshot(page, "widget-phone-open.png")

        # Choose a quick reply with the keyboard; the focus returns to the input box.
        first = last_buttons(greeting)[0]
        tab_to(page, REPLY)
        page.keyboard.press("Enter")
        page.locator(".rw-client", has_text=first["title"]).wait_for()
        settled_events(page, stack, session, users=2)
        assert page.evaluate("document.activeElement.matches('.rw-new-message')")

        # Type and send with the keyboard. English from the user turns the widget's own words
        # English and reaches Rasa as the message's language.
        assert CJK.search(page.locator(".rw-title").inner_text())
        page.keyboard.type(ENGLISH)
        page.keyboard.press("Enter")
        page.locator(".rw-client", has_text=ENGLISH).wait_for()
        events = settled_events(page, stack, session, users=3)
        users = [e for e in events if e["event"] == "user"]
        assert [e["text"] for e in users] == ["/greet", first["payload"], ENGLISH]
        assert "language" not in users[0]["metadata"], "the language is not known before the user types"
        assert users[2]["metadata"]["language"] == "en"
        assert widget.get_attribute("lang") == "en"
        for words in (
            page.locator(".rw-title").inner_text(),
            page.locator(".rw-new-message").get_attribute("placeholder"),
            page.locator(".rw-send").get_attribute("aria-label"),
        ):
            assert words and not CJK.search(words), words
        snapshot(page, "widget-phone-english.png")
        audit(page, axe_findings, "open in English on a phone")

        # Chinese again switches back.
        page.keyboard.type(TYPED)
        page.keyboard.press("Enter")
        page.locator(".rw-client", has_text=TYPED).wait_for()
        events = settled_events(page, stack, session, users=4)
        assert [e for e in events if e["event"] == "user"][-1]["metadata"]["language"] == "zh"
        assert widget.get_attribute("lang") == "zh-CN"
        assert CJK.search(page.locator(".rw-new-message").get_attribute("placeholder"))

        # Close with the keyboard.
        tab_to(page, ".rw-close-button")
        page.keyboard.press("Enter")
        page.locator(".rw-conversation-container").wait_for(state="detached")
        assert page.locator(".rw-launcher").is_visible()
        snapshot(page, "widget-phone-closed-again.png")
    finally:
        browsing.context.close()
    assert_accessible(axe_findings)
    browsing.assert_no_errors()


def test_a_javascript_link_in_an_answer_is_neutralised(browser: Any, stack: Stack) -> None:
    """No answer carries a javascript: link (the classifier reads such text as out of scope, so
    the form never quotes it back); the widget's neutralisation is the defence should one ever
    arrive. A real answer from the server gets such a link put into it on the socket.io stream;
    the widget must show the link's text without an address, and a click must run nothing."""
    browsing = Browsing(browser, viewport={"width": 1100, "height": 800})
    page = browsing.page
    armed, tampered = [], []

    def relay(socket: Any) -> None:
        server = socket.connect_to_server()

        def to_page(frame: Any) -> None:
            if armed and not tampered and isinstance(frame, str) and frame.startswith('42["bot_uttered"'):
                event, answer = json.loads(frame[2:])
                answer["text"] = f"{answer.get('text', '')}\n\n[{SCRIPT_LINK_TEXT}]({SCRIPT_LINK})"
                tampered.append(answer["text"])
                frame = "42" + json.dumps([event, answer], ensure_ascii=False)
            socket.send(frame)

        server.on_message(to_page)

    page.route_web_socket(re.compile(r"/socket\.io/"), relay)
    try:
        page.goto(f"{stack.rasa.url}/webchat/?role=buyer")
        page.click(".rw-launcher")
        page.locator(BOT_TEXT).first.wait_for()
        session = session_id(page)
        settled_events(page, stack, session, users=1)
        armed.append(True)
        ask(page, stack, session, "邮件客服的地址是什么", users=2)
        assert tampered, "an answer came over the websocket"

        link = page.locator(".rw-response a", has_text=SCRIPT_LINK_TEXT).last
        link.wait_for()
        assert link.get_attribute("href") is None and link.get_attribute("target") is None
        # The real answer's own address stays a link: only the script link lost its address.
        assert page.locator(f'.rw-response a[href="mailto:{SERVICE_EMAIL}"]').count() >= 1
        link.click()
        page.wait_for_timeout(300)
        assert page.evaluate("window.__scriptLinkRan") is None
        assert urlsplit(page.url).path.startswith("/webchat")
    finally:
        browsing.context.close()
    browsing.assert_no_errors()
