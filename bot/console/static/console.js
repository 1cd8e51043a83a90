// Live updates for the console (server-sent events) and the reply box.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]');
  const token = csrf ? csrf.content : "";
  const WHO = { shopper: "顾客", bot: "小客", agent: "客服", system: "系统", note: "内部备注" };

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function timerCell(tag, item) {
    const node = el(tag, "sla", item.sla ? item.sla.label : "已回复");
    node.dataset.timer = JSON.stringify(item.sla);
    return node;
  }

  const queue = document.getElementById("queue");
  if (queue) {
    const source = new EventSource(queue.dataset.live);
    source.addEventListener("queue", (event) => {
      const state = JSON.parse(event.data);
      window.dispatchEvent(new CustomEvent("queue-state", { detail: state }));
      const body = queue.querySelector("tbody");
      body.replaceChildren();
      if (!state.waiting.length) {
        const row = el("tr", "empty");
        const cell = el("td", "", "暂无等待中的会话");
        cell.colSpan = 9;
        row.append(cell);
        body.append(row);
      }
      for (const item of state.waiting) {
        const row = el("tr");
        row.dataset.id = item.id;
        const tags = el("td", "tags");
        for (const tag of item.tags) tags.append(el("span", "tag", tag));
        row.append(el("td", "", item.channel), el("td", "team", item.team),
                   timerCell("td", item), el("td", "", item.waited), el("td", "", item.reason), tags,
                   el("td", "last-message", item.last_message),
                   el("td", "mono", item.conversation_id));
        const form = el("form");
        form.method = "post";
        form.action = `/handoffs/${item.id}/claim`;
        const hidden = el("input");
        hidden.type = "hidden"; hidden.name = "csrf_token"; hidden.value = token;
        const button = el("button", "claim", "接入");
        button.type = "submit";
        form.append(hidden, button);
        const cell = el("td");
        cell.append(form);
        row.append(cell);
        body.append(row);
      }
      const mine = document.getElementById("mine");
      mine.replaceChildren();
      for (const item of state.mine) {
        const li = el("li");
        li.dataset.id = item.id;
        li.append(timerCell("span", item), " ");
        const link = el("a", "", `${item.channel} · ${item.conversation_id} · ${item.reason}`);
        link.href = `/conversations/${item.id}`;
        li.append(link);
        for (const tag of item.tags) li.append(" ", el("span", "tag", tag));
        mine.append(li);
      }
      if (!state.mine.length) mine.append(el("li", "empty", "无"));
      window.dispatchEvent(new CustomEvent("queue-rendered"));
    });
  }

  const transcript = document.getElementById("transcript");
  if (transcript) {
    const source = new EventSource(transcript.dataset.live);
    const entry = (line) => {
      const li = el("li", line.who);
      const who = line.who === "agent" ? `客服 ${line.agent}`
        : line.who === "note" ? `内部备注 · ${line.agent}` : WHO[line.who];
      li.append(el("span", "who", who), el("span", "time", line.time), " ");
      if (line.image) {
        const link = el("a", "picture");
        link.href = transcript.dataset.media + line.image;
        link.target = "_blank";
        link.rel = "noopener";
        const img = el("img");
        img.src = link.href;
        img.alt = line.text;
        link.append(img);
        li.append(link);
      } else {
        li.append(el("span", "text", line.text));
      }
      return li;
    };
    const show = (event) => {
      for (const line of JSON.parse(event.data)) transcript.append(entry(line));
      transcript.scrollTop = transcript.scrollHeight;
    };
    source.addEventListener("timers", (event) => {
      window.dispatchEvent(new CustomEvent("conversation-timers",
                                           { detail: JSON.parse(event.data) }));
    });
    const earlier = document.getElementById("load-earlier");
    if (earlier) {
      // Long transcripts: earlier lines a page at a time, on demand.
      earlier.addEventListener("click", async () => {
        earlier.disabled = true;
        const response = await fetch(
          `${earlier.dataset.url}?before=${earlier.dataset.before}`,
          { headers: { "Accept": "application/json" } });
        earlier.disabled = false;
        if (!response.ok) return;
        const body = await response.json();
        const height = transcript.scrollHeight;
        transcript.prepend(...body.entries.map(entry));
        transcript.scrollTop += transcript.scrollHeight - height;
        if (body.earliest === null) earlier.remove();
        else earlier.dataset.before = body.earliest;
      });
    }
    source.addEventListener("lines", (event) => {
      show(event);
      if (JSON.parse(event.data).some((line) => line.who === "shopper")) {
        window.dispatchEvent(new CustomEvent("shopper-message"));
      }
    });
    source.addEventListener("notes", show);
    source.addEventListener("status", (event) => {
      document.getElementById("status").textContent = JSON.parse(event.data).status;
    });
    window.addEventListener("beforeunload", () => source.close());
  }

  const replyForm = document.getElementById("reply-form");
  if (replyForm) {
    const text = document.getElementById("reply-text");
    const error = document.getElementById("reply-error");
    replyForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      const response = await fetch(replyForm.action, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json",
                   "X-CSRF-Token": token },
        body: JSON.stringify({ text: text.value }),
      });
      if (response.ok) {
        text.value = "";
        text.dispatchEvent(new Event("input"));
      } else {
        const body = await response.json().catch(() => ({}));
        error.textContent = (body.error && body.error.message) || "发送失败";
        error.hidden = false;
      }
    });
    const imageForm = document.getElementById("image-form");
    imageForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      const response = await fetch(imageForm.action, {
        method: "POST",
        headers: { "Accept": "application/json", "X-CSRF-Token": token },
        body: new FormData(imageForm),
      });
      if (response.ok) {
        imageForm.reset();
      } else {
        const body = await response.json().catch(() => ({}));
        error.textContent = (body.error && body.error.message) || "图片发送失败";
        error.hidden = false;
      }
    });
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        replyForm.requestSubmit();
      }
    });
  }
})();
