// A login link carries its secret after "#": browsers never send that part to a server, and this
// script takes it out of the address bar and history before using it (once) to log in.
"use strict";

(() => {
  const link = window.location.hash.slice(1);
  if (!link) return;
  window.history.replaceState(null, "", window.location.pathname);
  const box = document.getElementById("login-link");
  const status = document.getElementById("login-status");
  const error = document.getElementById("login-error");
  const choice = document.getElementById("login-switch");
  box.hidden = false;

  function fail(message) {
    status.textContent = "";
    error.textContent = message;
    error.hidden = false;
  }

  async function logIn(switchShop) {
    status.textContent = box.dataset.busy;
    choice.hidden = true;
    let response;
    try {
      response = await fetch("/panel/login/link", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ link, switch: switchShop }),
        credentials: "same-origin",
      });
    } catch {
      fail("Nie udało się połączyć z serwerem. Sprawdź połączenie i spróbuj ponownie.");
      return;
    }
    const data = await response.json();
    if (response.ok) {
      window.location.replace(data.location); // the login page leaves no history entry
    } else if (response.status === 409) {
      status.textContent = data.detail;
      choice.querySelector("[data-switch]").textContent = data.confirm;
      choice.querySelector("[data-stay]").textContent = data.cancel;
      choice.hidden = false;
    } else {
      fail(data.detail);
    }
  }

  choice.querySelector("[data-switch]").addEventListener("click", () => logIn(true));
  choice.querySelector("[data-stay]").addEventListener("click", () => window.location.replace("/panel"));
  logIn(false);
})();
