// The web inbox's behaviour: forms sent with the session's CSRF token, file previews, article
// hints while typing, and live updates over server-sent events. No inline script (CSP).
"use strict";

(() => {
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";
  const NETWORK_ERROR = "Nie udało się połączyć z serwerem. Sprawdź połączenie i spróbuj ponownie.";
  const HINT_DELAY_MS = 350;

  function setBadge(unread) {
    const badge = document.getElementById("badge");
    if (badge) badge.hidden = !unread;
  }

  async function post(url, body) {
    const headers = { "X-CSRF-Token": csrf, Accept: "application/json" };
    if (!(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body);
    }
    const response = await fetch(url, { method: "POST", headers, body, credentials: "same-origin" });
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    return { ok: response.ok, status: response.status, data };
  }

  function formatSize(bytes) {
    if (bytes >= 1024 * 1024) return (bytes / (1024 * 1024)).toFixed(1).replace(".", ",") + " MB";
    return Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  // -- files: drag and drop, previews, limits checked before upload ---------------------------

  function setupPicker(zone) {
    const field = zone.closest(".field");
    const input = zone.querySelector('input[type="file"]');
    const list = field.querySelector(".previews");
    const error = field.querySelector('[data-error-for="files"]');
    const maxFiles = Number(zone.dataset.maxFiles);
    const maxBytes = Number(zone.dataset.maxBytes);
    const accepted = zone.dataset.accept.split(",");
    const files = [];
    zone.pomocFiles = files;

    function showError(message) {
      error.textContent = message;
      error.hidden = !message;
    }

    function render() {
      list.replaceChildren();
      files.forEach((file, index) => {
        const item = document.createElement("li");
        item.className = "preview";
        if (file.type.startsWith("image/")) {
          const img = document.createElement("img");
          img.src = URL.createObjectURL(file);
          img.alt = "";
          img.addEventListener("load", () => URL.revokeObjectURL(img.src), { once: true });
          item.append(img);
        } else {
          const icon = document.createElement("span");
          icon.className = "file-icon";
          icon.textContent = (file.name.split(".").pop() || "plik").toUpperCase().slice(0, 4);
          item.append(icon);
        }
        const name = document.createElement("span");
        name.className = "preview-name";
        name.textContent = `${file.name} (${formatSize(file.size)})`;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "remove";
        remove.textContent = "Usuń";
        remove.setAttribute("aria-label", `Usuń plik ${file.name}`);
        remove.addEventListener("click", () => {
          files.splice(index, 1);
          showError("");
          render();
        });
        item.append(name, remove);
        list.append(item);
      });
    }

    function add(chosen) {
      const refused = [];
      for (const file of chosen) {
        if (files.length >= maxFiles) {
          refused.push(`Można dodać najwyżej ${maxFiles} plików.`);
          break;
        }
        if (!accepted.includes(file.type)) {
          refused.push(`Plik ${file.name} ma niedozwolony typ (dozwolone: ${zone.dataset.types}).`);
        } else if (file.size > maxBytes) {
          refused.push(`Plik ${file.name} jest za duży (limit ${zone.dataset.maxMb} MB).`);
        } else if (file.size === 0) {
          refused.push(`Plik ${file.name} jest pusty.`);
        } else {
          files.push(file);
        }
      }
      showError(refused.join(" "));
      render();
    }

    input.addEventListener("change", () => {
      add(Array.from(input.files));
      input.value = "";
    });
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("dragging");
      add(Array.from(event.dataTransfer.files));
    });
    zone.pomocClear = () => {
      files.length = 0;
      showError("");
      render();
    };
  }

  // -- forms: required fields, errors next to the field, sending with the CSRF token -----------

  function setupForm(form, onSuccess) {
    const submit = form.querySelector('button[type="submit"]');
    const required = Array.from(form.querySelectorAll("[required]"));
    const general = form.querySelector(".form-error");
    const picker = form.querySelector(".dropzone");

    function errorFor(name) {
      return form.querySelector(`[data-error-for="${name}"]`);
    }

    function showError(name, message) {
      const target = errorFor(name) || general;
      target.textContent = message;
      target.hidden = false;
      const control = form.elements.namedItem(name);
      if (control && control.setAttribute) control.setAttribute("aria-invalid", "true");
    }

    function clearError(name) {
      const target = errorFor(name);
      if (target) target.hidden = true;
      const control = form.elements.namedItem(name);
      if (control && control.removeAttribute) control.removeAttribute("aria-invalid");
    }

    function labelOf(control) {
      const label = form.querySelector(`label[for="${control.id}"]`);
      return label ? label.firstChild.textContent.trim() : control.name;
    }

    const missing = () => required.filter((control) => !control.value.trim());
    const refresh = () => {
      submit.disabled = missing().length > 0 || form.classList.contains("sending");
    };

    // Only a field the owner has typed in complains: an error appearing on a mere blur shifts
    // the layout under the pointer and swallows the click that caused the blur.
    const complain = (control) => showError(control.name, `Pole „${labelOf(control)}” jest wymagane.`);
    for (const control of required) {
      control.addEventListener("input", () => {
        if (control.value.trim()) clearError(control.name);
        else complain(control);
        refresh();
      });
    }
    for (const control of form.querySelectorAll("input[name], textarea[name]")) {
      if (!control.required) control.addEventListener("input", () => clearError(control.name));
    }
    refresh();

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const empty = missing();
      if (empty.length) {
        empty.forEach(complain);
        empty[0].focus();
        return;
      }
      const body = new FormData();
      for (const control of form.querySelectorAll("input[name], textarea[name]")) {
        body.append(control.name, control.value);
      }
      for (const file of picker ? picker.pomocFiles : []) body.append("files", file);
      general.hidden = true;
      form.classList.add("sending");
      const label = submit.textContent;
      submit.textContent = "Wysyłanie…";
      refresh();
      try {
        const result = await post(form.action, body);
        if (result.ok) {
          onSuccess(result.data, form);
          return;
        }
        const errors = (result.data && result.data.errors) || [];
        if (errors.length) {
          errors.forEach((item) => showError(item.field, item.message));
        } else {
          showError("", (result.data && result.data.detail) || NETWORK_ERROR);
        }
      } catch (_error) {
        showError("", NETWORK_ERROR);
      } finally {
        form.classList.remove("sending");
        submit.textContent = label;
        refresh();
      }
    });
    form.pomocReset = () => {
      form.reset();
      if (picker) picker.pomocClear();
      refresh();
    };
  }

  // -- help-center articles while typing -------------------------------------------------------

  function setupHints(form, box) {
    let timer = null;
    let latest = 0;
    const title = form.elements.namedItem("title");
    const body = form.elements.namedItem("body");
    async function lookup() {
      const ticket = ++latest;
      try {
        const result = await post(box.dataset.source, { title: title.value, body: body.value });
        if (ticket !== latest || !result.ok) return; // a newer keystroke already asked again
        box.innerHTML = result.data; // server-rendered, autoescaped fragment
        box.hidden = !result.data.trim();
      } catch (_error) {
        // Hints are a help, not a step: the form works without them.
      }
    }
    for (const control of [title, body]) {
      control.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(lookup, HINT_DELAY_MS);
      });
    }
  }

  // -- live updates ----------------------------------------------------------------------------

  // Every update carries the whole server-rendered fragment; it replaces the old one only when
  // it differs, so an unchanged list keeps its focus and hover state.
  function listen(container, onData) {
    const source = new EventSource(container.dataset.live);
    let shown = null;
    source.addEventListener("message", (event) => {
      const data = JSON.parse(event.data);
      if (data.html !== shown) container.innerHTML = shown = data.html;
      onData(data);
    });
    source.addEventListener("gone", () => source.close());
    window.addEventListener("pagehide", () => source.close());
  }

  function setupInbox(container) {
    listen(container, (data) => setBadge(data.unread));
  }

  function setupConversation(container) {
    const ticketId = container.dataset.ticket;
    let unreadHere = false;
    const markRead = async () => {
      if (!unreadHere || document.visibilityState !== "visible") return;
      unreadHere = false;
      try {
        const result = await post(`/api/v1/tickets/${ticketId}/read`, {});
        if (result.ok) setBadge(result.data.unread);
      } catch (_error) {
        unreadHere = true; // try again when the page is next shown
      }
    };
    let seen = container.querySelectorAll(".message").length;
    listen(container, (data) => {
      const messages = container.querySelectorAll(".message");
      if (messages.length > seen) messages[messages.length - 1].scrollIntoView({ block: "nearest" });
      seen = messages.length;
      setBadge(data.unread);
      unreadHere = data.ticket_unread;
      markRead();
    });
    document.addEventListener("visibilitychange", markRead);

    container.addEventListener("click", async (event) => {
      const button = event.target.closest("[data-feedback]");
      if (!button) return;
      const buttons = button.parentElement.querySelectorAll("button");
      buttons.forEach((item) => (item.disabled = true));
      const helped = button.dataset.feedback === "true";
      try {
        const result = await post(`/api/v1/tickets/${ticketId}/feedback`, { helped });
        if (result.ok) return; // the live stream shows the outcome
        button.parentElement.insertAdjacentHTML("afterend", '<p class="error" role="alert"></p>');
        button.parentElement.nextElementSibling.textContent = result.data.detail || NETWORK_ERROR;
      } catch (_error) {
        buttons.forEach((item) => (item.disabled = false));
      }
    });
  }

  // -- the satisfaction rating of a resolved ticket ----------------------------------------------

  // Delegated to the conversation: the live stream replaces the form (and shows the rating given);
  // the POST's answer is shown too, so the owner hears of it while the stream is down.
  function setupRating(container) {
    const formOf = (event) => event.target.closest && event.target.closest(".rating-form");
    container.addEventListener("change", (event) => {
      const form = formOf(event);
      if (!form || event.target.name !== "score") return;
      form.querySelector('button[type="submit"]').disabled = false;
      form.querySelector('[data-error-for="score"]').hidden = true;
    });
    container.addEventListener("submit", async (event) => {
      const form = formOf(event);
      if (!form) return;
      event.preventDefault();
      const submit = form.querySelector('button[type="submit"]');
      const chosen = form.querySelector('input[name="score"]:checked');
      if (!chosen) return; // the button stays disabled until a score is chosen
      const show = (name, message) => {
        const target = form.querySelector(`[data-error-for="${name}"]`) || form.querySelector(".form-error");
        target.textContent = message;
        target.hidden = false;
      };
      form.querySelectorAll(".error, .form-error, .form-saved").forEach((item) => (item.hidden = true));
      submit.disabled = true;
      try {
        const comment = form.elements.namedItem("comment").value;
        const result = await post(form.action, { score: Number(chosen.value), comment });
        if (result.ok) {
          const score = result.data.score;
          const label = form.querySelector(`label[for="score-${score}"] .score-label`).textContent;
          const saved = form.querySelector(".form-saved");
          saved.textContent = form.dataset.saved.replace("{score}", `${score} — ${label}`);
          saved.hidden = false;
          return;
        }
        const errors = (result.data && result.data.errors) || [];
        if (errors.length) errors.forEach((item) => show(item.field, item.message));
        else show("", (result.data && result.data.detail) || NETWORK_ERROR);
      } catch (_error) {
        show("", NETWORK_ERROR);
      } finally {
        submit.disabled = false;
      }
    });
  }

  document.querySelectorAll(".dropzone").forEach(setupPicker);
  const newTicket = document.getElementById("new-ticket");
  if (newTicket) {
    setupForm(newTicket, (ticket) => window.location.assign(newTicket.dataset.redirect + ticket.id));
    setupHints(newTicket, document.getElementById("hints"));
  }
  const reply = document.getElementById("reply");
  if (reply) setupForm(reply, (_message, form) => form.pomocReset());
  const tickets = document.getElementById("tickets");
  if (tickets && tickets.dataset.live) setupInbox(tickets);
  const conversation = document.getElementById("conversation");
  if (conversation) {
    setupConversation(conversation);
    setupRating(conversation);
  }
  const logout = document.querySelector("[data-logout]");
  if (logout) {
    logout.addEventListener("click", async () => {
      logout.disabled = true;
      try {
        await post("/panel/logout", {});
      } finally {
        window.location.assign("/panel"); // without the cookie: the login page
      }
    });
  }
})();
