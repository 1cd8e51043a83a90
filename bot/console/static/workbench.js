// The workbench: presence and heartbeats, canned replies in the reply box, notes.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]');
  const token = csrf ? csrf.content : "";
  const HEADERS = { "Content-Type": "application/json", "Accept": "application/json",
                    "X-CSRF-Token": token };

  function post(url, body) {
    return fetch(url, { method: "POST", headers: HEADERS, body: JSON.stringify(body) });
  }

  // --- presence: the agent's choice, heartbeats while a page is open --------
  const presence = document.getElementById("presence");
  if (presence) {
    const every = Number(presence.closest("label").dataset.heartbeatMs) || 20000;
    let active = false;
    for (const kind of ["keydown", "mousedown", "scroll", "touchstart"]) {
      window.addEventListener(kind, () => { active = true; }, { passive: true });
    }
    const shown = (body) => {
      presence.value = body.status;
      presence.className = `presence-${body.status}`;
    };
    presence.addEventListener("change", async () => {
      const response = await post("/api/presence", { status: presence.value });
      if (response.ok) shown(await response.json());
    });
    const beat = async () => {
      const sent = active;
      active = false;
      const response = await post("/api/presence/heartbeat", { active: sent });
      if (response.ok) shown(await response.json());
    };
    beat();
    setInterval(beat, every);
  }

  // --- notifications: a title badge and a browser notification -------------
  // on a new assignment (any staff page) or a shopper's message in one of mine
  if (document.getElementById("current-user")) {
    const title = document.title;
    let badge = 0;
    let known = null;
    const notify = (text) => {
      badge += 1;
      document.title = `(${badge}) ${text} · ${title}`;
      if ("Notification" in window && Notification.permission === "granted") {
        new Notification("小客 · 人工客服台", { body: text });
      }
    };
    const clear = () => {
      if (document.visibilityState === "visible" && document.hasFocus()) {
        badge = 0;
        document.title = title;
      }
    };
    window.addEventListener("queue-state", (event) => {
      const ids = event.detail.mine.map((item) => item.id);
      const added = known === null ? [] : ids.filter((id) => !known.includes(id));
      known = ids;
      if (added.length) notify(`新分配给您 ${added.length} 个会话`);
    });
    window.addEventListener("shopper-message", () => {
      if (document.visibilityState !== "visible") notify("顾客发来新消息");
    });
    window.addEventListener("focus", clear);
    document.addEventListener("visibilitychange", clear);
    window.addEventListener("click", () => {
      if ("Notification" in window && Notification.permission === "default") {
        Notification.requestPermission();
      }
    }, { once: true });
    if (!document.getElementById("queue")) {
      // Pages without the queue listen to it too (pushed, not polled).
      const source = new EventSource("/api/queue/stream");
      source.addEventListener("queue", (event) => {
        window.dispatchEvent(new CustomEvent("queue-state",
                                             { detail: JSON.parse(event.data) }));
      });
      window.addEventListener("beforeunload", () => source.close());
    }
  }

  // --- canned replies: "/" searches them, variables are filled in -----------
  const form = document.getElementById("reply-form");
  const text = document.getElementById("reply-text");
  const menu = document.getElementById("canned-menu");
  const missing = document.getElementById("canned-missing");
  if (form && text && menu) {
    const PLACEHOLDER = /\{(姓名|订单号|物流单号|积分|客服名)\}/g;
    const send = document.getElementById("send-reply");
    const check = () => {
      const left = [...new Set([...text.value.matchAll(PLACEHOLDER)].map((m) => m[1]))];
      missing.hidden = !left.length;
      missing.textContent = left.length
        ? `以下信息查不到，请替换成实际内容后再发送：${left.map((v) => `{${v}}`).join("、")}`
        : "";
      send.disabled = left.length > 0;
    };
    const choose = async (reply) => {
      menu.hidden = true;
      const response = await fetch(form.dataset.canned + reply.id,
                                   { headers: { "Accept": "application/json" } });
      const body = await response.json();
      text.value = response.ok ? body.text : "";
      check();
      text.focus();
    };
    const search = async (query) => {
      const response = await fetch(`/api/canned?q=${encodeURIComponent(query)}`,
                                   { headers: { "Accept": "application/json" } });
      const body = await response.json();
      menu.replaceChildren();
      for (const reply of body.replies || []) {
        const item = document.createElement("li");
        item.className = "canned-item";
        item.dataset.id = reply.id;
        const title = document.createElement("strong");
        title.textContent = reply.title + (reply.personal ? "（我的）" : "");
        item.append(title, " ", reply.text);
        item.addEventListener("mousedown", (event) => { event.preventDefault(); choose(reply); });
        menu.append(item);
      }
      menu.hidden = !menu.children.length;
    };
    text.addEventListener("input", () => {
      check();
      if (text.value.startsWith("/")) search(text.value.slice(1).trim());
      else menu.hidden = true;
    });
    text.addEventListener("keydown", (event) => {
      if (!menu.hidden && event.key === "Enter") {
        const first = menu.querySelector(".canned-item");
        if (first) {
          event.preventDefault();
          event.stopImmediatePropagation();
          first.dispatchEvent(new MouseEvent("mousedown"));
        }
      } else if (event.key === "Enter" && !event.shiftKey && send.disabled) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    }, true);
  }

  // --- internal notes: added without leaving the page -----------------------
  const noteForm = document.getElementById("note-form");
  if (noteForm) {
    noteForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const input = document.getElementById("note-text");
      const response = await post(noteForm.action, { text: input.value });
      if (response.ok) input.value = "";
    });
  }
})();
