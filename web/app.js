// Starts the rasa-webchat widget (served from /webchat/widget.js) on this page.
// customData reaches the Rasa tracker as message metadata (socketio metadata_key: customData).
(function () {
  "use strict";

  var ROLES = ["buyer", "seller"];
  var requested = new URLSearchParams(window.location.search).get("role");
  var role = ROLES.indexOf(requested) >= 0 ? requested : "buyer";

  Array.prototype.forEach.call(document.querySelectorAll("nav a[data-role]"), function (link) {
    if (link.getAttribute("data-role") === role) {
      link.setAttribute("aria-current", "page");
    }
  });

  window.WebChat.default(
    {
      socketUrl: window.location.origin,
      socketPath: "/socket.io/",
      customData: { role: role, page: window.location.pathname, language: "zh" },
      initPayload: "/greet",
      title: "速卖通客服助手",
      subtitle: role === "seller" ? "卖家服务 · 在线解答" : "买家服务 · 在线解答",
      inputTextFieldHint: "请输入您的问题…",
      hideWhenNotConnected: false,
      showMessageDate: false,
      customMessageDelay: function () { return 300; },
      params: { storage: "session" }
    },
    null
  );
})();
