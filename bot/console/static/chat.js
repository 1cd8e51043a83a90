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

  function showImage(cls, who, src) {
    const li = show(cls, who, "");
    const img = document.createElement("img");
    img.className = "picture";
    img.alt = "图片";
    img.src = src;
    li.append(img);
    return li;
  }

  async function send(message, shown) {
    show("me", "我", shown || message);
    const body = await post("/chat/api/send", "application/json",
                            JSON.stringify({ message }));
    if (body) showAnswers(body);
  }

  async function sendPhoto(file) {
    const body = await post("/chat/api/image", "application/octet-stream", file);
    if (!body) return;
    showImage("me", "我", body.image);
    showAnswers(body);
  }

  async function post(url, type, payload) {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": type },
        body: payload,
      });
      const body = await response.json();
      if (!response.ok) {
        show("system", "", (body.error && body.error.message) || "发送失败");
        return null;
      }
      return body;
    } catch (error) {
      show("system", "", "网络异常，请稍后再试");
      return null;
    }
  }

  function showAnswers(body) {
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
  }

  async function poll() {
    try {
      const response = await fetch(
        `/chat/api/messages?after=${after}`);
      if (response.ok) {
        for (const message of (await response.json()).messages) {
          after = Math.max(after, message.id);
          const who = message.agent ? "人工客服" : "小客";
          if (message.image) showImage("agent", who, message.image);
          else show("agent", who, message.text);
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
  const photo = document.getElementById("chat-photo");
  photo.addEventListener("change", () => {
    const file = photo.files[0];
    photo.value = "";
    if (file) sendPhoto(file);
  });
  poll();
})();
