// Starts the rasa-webchat widget (served from /webchat/widget.js) on this page and adds what the
// bundle lacks: accessible names, keyboard-usable quick replies, safe clickable links in answers,
// the copyable support-request block and a UI language that follows the conversation.
// customData reaches the Rasa tracker as message metadata (socketio metadata_key: customData).
(function () {
  "use strict";

  var ROLES = ["buyer", "seller"];
  var requested = new URLSearchParams(window.location.search).get("role");
  var role = ROLES.indexOf(requested) >= 0 ? requested : "buyer";

  // The widget's own words; the assistant's answers come from the server in the user's language.
  var UI = {
    zh: {
      htmlLang: "zh-CN",
      title: "速卖通客服助手",
      subtitle: { buyer: "买家服务 · 在线解答", seller: "卖家服务 · 在线解答" },
      hint: "请输入您的问题…",
      connecting: "正在连接客服助手…",
      send: "发送",
      openChat: "打开在线客服聊天",
      closeChat: "关闭聊天",
      request: "整理好的求助信息",
      copy: "复制求助信息",
      copied: "已复制，可以粘贴到阿里小蜜或邮件里",
      copyFailed: "无法自动复制：文字已选中，请按 Ctrl+C 或长按复制"
    },
    en: {
      htmlLang: "en",
      title: "AliExpress support assistant",
      subtitle: { buyer: "Buyer help · online", seller: "Seller help · online" },
      hint: "Type your question…",
      connecting: "Connecting to the assistant…",
      send: "Send",
      openChat: "Open the support chat",
      closeChat: "Close the chat",
      request: "Your support request",
      copy: "Copy the request",
      copied: "Copied: paste it into AliExpress chat or an e-mail",
      copyFailed: "Could not copy automatically: the text is selected, press Ctrl+C or long-press to copy"
    }
  };
  var LANGUAGE_KEY = "chat_language";
  var language = sessionStorage.getItem(LANGUAGE_KEY) === "en" ? "en" : "zh";

  function words() {
    return UI[language];
  }

  // The language a text is written in, or null when it does not tell (a button payload, an order
  // number like ABC123, digits). Two Chinese characters weigh as much as one English word, so
  // "How do I reach 阿里小蜜?" is English and "我要退款 refund" Chinese.
  function languageOf(text) {
    if (/^\s*\//.test(text)) return null;
    var chinese = (text.match(/[\u3400-\u9fff\uf900-\ufaff]/g) || []).length;
    var english = (text.match(/\b[A-Za-z]{2,}\b/g) || []).length;
    if (!chinese && !english) return null;
    return chinese / 2 >= english ? "zh" : "en";
  }

  // The widget keeps this very object and sends it with every message, so setting the language
  // here before a message leaves is what Rasa receives. Unknown until the user has typed.
  var customData = { role: role, page: window.location.pathname };
  if (sessionStorage.getItem(LANGUAGE_KEY)) customData.language = language;

  // --- the finished support request (bot message json_message {type: "support_request", text})
  // The bundle exposes no React; an element is the plain object JSX compiles to
  // (babel's transform-react-inline-elements emits the same shape for React 16).
  var REACT_ELEMENT = Symbol.for("react.element");
  function h(type, props, children) {
    var elementProps = Object.assign({}, props, { children: children });
    delete elementProps.key;
    return { $$typeof: REACT_ELEMENT, type: type, key: props.key || null, ref: null, props: elementProps, _owner: null };
  }

  function copyRequest(event) {
    var block = event.currentTarget.closest(".rw-support-request");
    var text = block.querySelector(".rw-support-request-text");
    var status = block.querySelector(".rw-copy-status");
    var failed = function () {
      window.getSelection().selectAllChildren(text);
      status.textContent = words().copyFailed;
    };
    if (!navigator.clipboard) return failed();
    navigator.clipboard.writeText(text.textContent).then(function () {
      status.textContent = words().copied;
    }, failed);
  }

  function SupportRequest(props) {
    if (props.type !== "support_request" || typeof props.text !== "string") return null;
    return h("div", { className: "rw-support-request", role: "group", "aria-label": words().request }, [
      h("pre", { key: "text", className: "rw-support-request-text", lang: UI[languageOf(props.text) || language].htmlLang }, props.text),
      h("button", { key: "copy", type: "button", className: "rw-copy-button", onClick: copyRequest }, words().copy),
      h("p", { key: "status", className: "rw-copy-status", role: "status" })
    ]);
  }

  // --- links in answers: addresses become links; only web and mail links are kept
  var ADDRESS = /https?:\/\/[A-Za-z0-9\-._~:\/?#\[\]@!$&'()*+,;=%]*[A-Za-z0-9\/#=&_~-]|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
  var SAFE_PROTOCOLS = ["http:", "https:", "mailto:"];

  // Links are changed in place, never replaced or split: React still owns these nodes and
  // updates them when a message stops being the last one.
  function makeSafe(link) {
    if (!link.hasAttribute("href")) return;
    if (SAFE_PROTOCOLS.indexOf(link.protocol) < 0) {
      link.removeAttribute("href");
      link.removeAttribute("target");
    } else if (link.protocol === "mailto:") {
      link.removeAttribute("target");
    } else {
      link.target = "_blank";
      link.rel = "noopener noreferrer";
    }
  }

  // React's text node keeps the text before the first address; the links and the rest are new
  // nodes after it, so React's own nodes stay where it put them.
  function linkAddresses(textNode) {
    var text = textNode.nodeValue;
    var found = text.match(ADDRESS);
    if (!found) return;
    var rest = text.slice(text.indexOf(found[0]));
    var pieces = document.createDocumentFragment();
    found.forEach(function (address) {
      var at = rest.indexOf(address);
      if (at > 0) pieces.appendChild(document.createTextNode(rest.slice(0, at)));
      var link = document.createElement("a");
      link.href = /^https?:/.test(address) ? address : "mailto:" + address;
      link.textContent = address;
      makeSafe(link);
      pieces.appendChild(link);
      rest = rest.slice(at + address.length);
    });
    if (rest) pieces.appendChild(document.createTextNode(rest));
    textNode.nodeValue = text.slice(0, text.indexOf(found[0]));
    textNode.parentNode.insertBefore(pieces, textNode.nextSibling);
  }

  function enhanceAnswer(markdown) {
    Array.prototype.forEach.call(markdown.querySelectorAll("a"), makeSafe);
    var walker = document.createTreeWalker(markdown, NodeFilter.SHOW_TEXT, {
      acceptNode: function (node) {
        return node.parentNode.closest("a") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
      }
    });
    var texts = [];
    while (walker.nextNode()) texts.push(walker.currentNode);
    texts.forEach(linkAddresses);
  }

  // --- names, roles and keyboard access for the bundle's controls
  function setAttribute(element, name, value) {
    if (element.getAttribute(name) !== value) element.setAttribute(name, value);
  }

  function enhance(root) {
    var launcher = root.querySelector(".rw-launcher");
    if (launcher) {
      var open = !!root.querySelector(".rw-conversation-container");
      setAttribute(launcher, "aria-label", open ? words().closeChat : words().openChat);
      setAttribute(launcher, "aria-expanded", String(open));
    }
    Array.prototype.forEach.call(root.querySelectorAll(".rw-close-button"), function (button) {
      setAttribute(button, "aria-label", words().closeChat);
    });
    Array.prototype.forEach.call(root.querySelectorAll(".rw-send"), function (button) {
      setAttribute(button, "aria-label", words().send);
    });
    Array.prototype.forEach.call(root.querySelectorAll(".rw-new-message"), function (input) {
      setAttribute(input, "aria-label", words().hint);
    });
    Array.prototype.forEach.call(root.querySelectorAll("div.rw-reply"), function (reply) {
      setAttribute(reply, "role", "button");
      setAttribute(reply, "tabindex", "0");
    });
    Array.prototype.forEach.call(root.querySelectorAll(".rw-message-text"), function (message) {
      var written = languageOf(message.textContent);
      if (written) setAttribute(message, "lang", UI[written].htmlLang);
    });
    Array.prototype.forEach.call(root.querySelectorAll(".rw-response .rw-markdown"), enhanceAnswer);
  }

  var container = document.createElement("div");
  container.id = "rasaWebchatPro";
  document.body.appendChild(container);

  new MutationObserver(function () {
    enhance(container);
  }).observe(container, { childList: true, subtree: true });

  // Quick replies are <div>s with a click handler (link buttons are <a>s already): Enter and
  // Space choose them too, and the focus goes back to the input box once they are gone.
  container.addEventListener("keydown", function (event) {
    var reply = event.target.closest && event.target.closest("div.rw-reply");
    if (!reply || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault();
    reply.click();
    var input = container.querySelector(".rw-new-message");
    if (input) input.focus();
  });

  // The language of what the user types is known before the widget sends it (capture phase).
  document.addEventListener(
    "submit",
    function (event) {
      var field = event.target.elements && event.target.elements.message;
      var typed = field && languageOf(field.value);
      if (!typed) return;
      customData.language = typed;
      sessionStorage.setItem(LANGUAGE_KEY, typed);
      if (typed !== language) {
        language = typed;
        window.setTimeout(start, 0);
      }
    },
    true
  );

  // Rendering again into the same container updates the widget in place (same socket, same
  // conversation) with the words of the current language.
  function start() {
    container.lang = words().htmlLang;
    window.WebChat.default(
      {
        socketUrl: window.location.origin,
        socketPath: "/socket.io/",
        customData: customData,
        initPayload: "/greet",
        title: words().title,
        subtitle: words().subtitle[role],
        inputTextFieldHint: words().hint,
        connectingText: words().connecting,
        hideWhenNotConnected: false,
        showMessageDate: false,
        customComponent: SupportRequest,
        customMessageDelay: function () { return 300; },
        params: { storage: "session" }
      },
      container
    );
    enhance(container);
  }

  start();
})();
