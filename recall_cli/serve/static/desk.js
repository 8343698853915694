// recall serve: the page's only script (served from /static, so the CSP allows no
// inline script). Plain DOM calls; answers are HTML rendered and escaped by the server.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const form = document.getElementById("ask");
  const input = document.getElementById("q");
  const answer = document.getElementById("answer");
  const banner = document.getElementById("changed");
  const bannerText = document.getElementById("changed-text");
  const reloadButton = document.getElementById("reload");
  let asked = 0;

  function say(text, cls) {
    const p = document.createElement("p");
    p.className = cls || "error";
    p.textContent = text;
    answer.replaceChildren(p);
  }

  async function ask(text, rows) {
    const mine = ++asked;
    // The last answer goes at once: an agent must never read it as the answer to
    // the lot just typed while the new one is on its way.
    say("Checking " + text.trim() + " …", "checking");
    answer.setAttribute("aria-busy", "true");
    const params = new URLSearchParams({ q: text });
    if (rows) params.set("rows", "1");
    try {
      const reply = await fetch("/answer?" + params.toString(), { credentials: "same-origin" });
      const body = await reply.text();
      if (mine !== asked) return; // a newer question was asked meanwhile
      if (reply.ok) answer.innerHTML = body;
      else say(body.trim());
    } catch (e) {
      say("The server does not answer: is `recall serve` still running?");
    } finally {
      answer.removeAttribute("aria-busy");
    }
  }

  function ready() {
    // Back to the field: a scanner types into whatever has focus, and its Enter
    // would press a focused button (a second reveal) instead of checking.
    input.focus();
    input.select();
  }

  async function post(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(data || {}),
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    ask(text, false);
    input.select(); // the next scan or keystroke replaces the text
  });

  answer.addEventListener("click", async function (event) {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.id === "show-rows") {
      ask("check " + button.dataset.q, true);
      ready();
    } else if (button.classList.contains("ask")) {
      input.value = button.dataset.q;
      ask(button.dataset.q, false);
      ready();
    } else if (button.classList.contains("reveal")) {
      const box = button.closest(".customers");
      const n = button.dataset.n;
      button.disabled = true;
      const reply = await post("/reveal", { q: box.dataset.query, n: Number(n), id: button.dataset.id });
      const target = document.getElementById("contact-" + n);
      if (reply.ok) {
        target.innerHTML = await reply.text();
        button.textContent = "Revealed (audited)";
      } else {
        target.textContent = (await reply.text()).trim();
        button.disabled = false;
      }
      ready();
    }
  });

  // Typing anywhere types into the field; Escape goes back to it.
  document.addEventListener("keydown", function (event) {
    if (event.target === input || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape" || event.key.length === 1) {
      if (event.key.length === 1) input.value = "";
      ready();
    }
  });

  async function status() {
    try {
      const reply = await fetch("/api/status", { credentials: "same-origin" });
      if (!reply.ok) return;
      const data = await reply.json();
      if (data.changed.length) {
        bannerText.textContent = "Changed on disk since the load: " + data.changed.join(", ") +
          ". Answers still come from the data loaded " + data.loaded_at + ".";
        banner.hidden = false;
      } else {
        banner.hidden = true;
      }
    } catch (e) {
      /* the server is gone: the next question says so */
    }
  }

  reloadButton.addEventListener("click", async function () {
    reloadButton.disabled = true;
    bannerText.textContent = "Reloading the data…";
    const reply = await post("/api/reload");
    if (reply.ok) {
      window.location.reload();
    } else {
      bannerText.textContent = "The reload failed; answers still come from the previous data. " +
        (await reply.text()).trim();
      reloadButton.disabled = false;
    }
  });

  setInterval(status, 3000);
  input.focus();
})();
