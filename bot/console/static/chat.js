// Shopper web chat: messages go to Rasa through the console, which keeps the
// shopper's id in its session cookie (never chosen here); messages from people
// are polled.
"use strict";
(function () {
  const list = document.getElementById("messages");
  const form = document.getElementById("chat-form");
  const input = document.getElementById("chat-input");
  let after = 0;

  function show(cls, who, text) {
    const li = document.createElement("li");
    li.className = cls;
    const label = document.createElement("span");
    label.className = "who";
    label.textContent = who;
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    li.append(label, body);
    list.append(li);
    list.scrollTop = list.scrollHeight;
    return li;
  }

  async function send(message, shown) {
    show("me", "我", shown || message);
    try {
      const response = await fetch("/chat/api/send", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ message }),
      });
      const body = await response.json();
      if (!response.ok) {
        show("system", "", (body.error && body.error.message) || "发送失败");
        return;
      }
      for (const answer of body.messages) {
        const li = show("bot", "小客", answer.text);
        for (const button of answer.buttons || []) {
          const option = document.createElement("button");
          option.className = "option";
          option.type = "button";
          option.textContent = button.title;
          option.addEventListener("click", () => send(button.payload, button.title));
          li.append(option);
        }
      }
    } catch (error) {
      show("system", "", "网络异常，请稍后再试");
    }
  }

  async function poll() {
    try {
      const response = await fetch(
        `/chat/api/messages?after=${after}`);
      if (response.ok) {
        for (const message of (await response.json()).messages) {
          after = Math.max(after, message.id);
          show("agent", message.agent ? "人工客服" : "小客", message.text);
        }
      }
    } catch (error) { /* try again on the next tick */ }
    setTimeout(poll, 1500);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const message = input.value.trim();
    if (!message) return;
    input.value = "";
    send(message);
  });
  poll();
})();
