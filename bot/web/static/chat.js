// The web chat. Talks only to this server (see the Content-Security-Policy); keeps one random token in
// sessionStorage, which the server knows only as an HMAC pseudonym. No cookies, no analytics.
"use strict";
(function () {
  const UI = {
    en: { title: "Harm reduction chat", forget: "Forget me", label: "Your message", placeholder: "Type a message", send: "Send",
      intro: "Anonymous. Nothing that identifies you is stored. In an emergency, call your local emergency number.",
      call: "Call", failed: "Could not reach the bot. If someone is in danger, call your emergency number now.", you: "You" },
    ru: { title: "Чат снижения вреда", forget: "Забыть меня", label: "Твоё сообщение", placeholder: "Напиши сообщение", send: "Отправить",
      intro: "Анонимно. Я не храню ничего, что тебя выдаёт. В экстренной ситуации звони 112 или 103.",
      call: "Позвонить", failed: "Не получилось связаться с ботом. Если кто-то в опасности, звони 112 или 103 прямо сейчас.", you: "Ты" },
    uk: { title: "Чат зменшення шкоди", forget: "Забути мене", label: "Твоє повідомлення", placeholder: "Напиши повідомлення", send: "Надіслати",
      intro: "Анонімно. Я не зберігаю нічого, що тебе видає. У невідкладній ситуації телефонуй 103 або 112.",
      call: "Зателефонувати", failed: "Не вдалося зв'язатися з ботом. Якщо хтось у небезпеці, телефонуй 103 або 112 просто зараз.", you: "Ти" },
  };
  const lang = (navigator.language || "en").slice(0, 2).toLowerCase();
  const ui = UI[lang] || UI.en;
  const KEY = "hrbot-session";
  const log = document.getElementById("log");
  const form = document.getElementById("form");
  const input = document.getElementById("message");

  function newToken() {
    const bytes = new Uint8Array(24);
    crypto.getRandomValues(bytes);
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function token() {
    let t = sessionStorage.getItem(KEY);
    if (!t) { t = newToken(); sessionStorage.setItem(KEY, t); }
    return t;
  }

  function applyUi() {
    document.documentElement.lang = UI[lang] ? lang : "en";
    document.title = ui.title;
    document.getElementById("title").textContent = ui.title;
    document.getElementById("forget").textContent = ui.forget;
    document.getElementById("message-label").textContent = ui.label;
    document.getElementById("intro").textContent = ui.intro;
    input.placeholder = ui.placeholder;
    document.getElementById("send").textContent = ui.send;
  }

  function mine(text) {
    const div = document.createElement("div");
    div.className = "msg me";
    div.textContent = text;
    div.setAttribute("aria-label", ui.you + ": " + text);
    log.appendChild(div);
  }

  function show(reply) {
    const div = document.createElement("div");
    div.className = "msg bot" + (reply.emergency ? " emergency" : "");
    if (reply.emergency) { div.setAttribute("role", "alert"); div.tabIndex = -1; }
    if (reply.call && reply.call.length) {
      const calls = document.createElement("div");
      calls.className = "calls";
      for (const number of reply.call) {
        const a = document.createElement("a");
        a.className = "call";
        a.href = "tel:" + number;
        a.textContent = ui.call + " " + number;
        calls.appendChild(a);
      }
      div.appendChild(calls);
    }
    const p = document.createElement("p");
    p.textContent = reply.text;
    div.appendChild(p);
    if (reply.buttons && reply.buttons.length) {
      const row = document.createElement("div");
      row.className = "buttons";
      for (const b of reply.buttons) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = b.label;
        button.addEventListener("click", () => { mine(b.label); send({ button: b.data }); });
        row.appendChild(button);
      }
      div.appendChild(row);
    }
    log.appendChild(div);
    return div;
  }

  async function send(what) {
    let replies;
    try {
      const response = await fetch("/api/turn", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(Object.assign({ session: token() }, what)),
        credentials: "omit",
        cache: "no-store",
      });
      const body = await response.json();
      if (!response.ok) throw new Error(body.error || String(response.status));
      replies = body.replies;
    } catch (e) {
      const p = document.createElement("p");
      p.className = "error";
      p.setAttribute("role", "alert");
      p.textContent = ui.failed;
      log.appendChild(p);
      return;
    }
    let first = null;
    for (const reply of replies) {
      const div = show(reply);
      if (!first) first = div;  // the server sends an emergency reply first
    }
    if (first) first.scrollIntoView({ block: "start" });  // read a new reply from its top
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    mine(text);
    send({ text: text });
    input.focus();
  });

  document.getElementById("forget").addEventListener("click", async () => {
    mine("/forget");
    await send({ text: "/forget" });
    sessionStorage.removeItem(KEY);  // the next message starts a new, unrelated session
  });

  applyUi();
  const start = new URLSearchParams(location.search).get("start");
  if (start && /^[A-Za-z0-9_-]{1,64}$/.test(start)) {
    history.replaceState(null, "", location.pathname);  // a reload does not open the topic again
    send({ text: "/start " + start });
  } else {
    send({ text: "/start" });
  }
})();
