// The embeddable "!" badge: follows the unread count live and tells the embedding page
// ({type: "pomoc.unread", unread: n}) so it can show the "!" in its own top bar too.
"use strict";

(() => {
  const body = document.body;
  const badge = document.getElementById("badge");
  const origins = JSON.parse(body.dataset.origins || "[]");

  function show(unread) {
    badge.hidden = !unread;
    if (window.parent !== window) {
      for (const origin of origins) window.parent.postMessage({ type: "pomoc.unread", unread }, origin);
    }
  }

  show(badge.hidden ? 0 : 1);
  if (!body.dataset.live) return;
  const events = new EventSource("/panel/badge/events");
  events.onmessage = (event) => show(JSON.parse(event.data).unread);
})();
