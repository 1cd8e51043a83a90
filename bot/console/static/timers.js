// Service timers (SLA) and WeChat's limits, counted down in the browser from
// the deadlines the server gives (data-timer / data-limits); no polling.
"use strict";
(function () {
  const pad = (n) => String(n).padStart(2, "0");
  const clock = (ms) => {
    const s = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return h ? `${h}小时${pad(m)}分` : `${m}:${pad(s % 60)}`;
  };

  function showTimer(node, now) {
    let timer = null;
    try { timer = JSON.parse(node.dataset.timer || "null"); } catch (e) { timer = null; }
    if (!timer) {
      node.className = "sla sla-none";
      node.dataset.state = "none";
      if (node.id === "sla") node.textContent = "已回复，等顾客消息";
      return;
    }
    const state = now >= timer.deadline ? "late" : now >= timer.warn_at ? "warn" : "ok";
    node.className = `sla sla-${state}`;
    node.dataset.state = state;
    node.textContent = state === "late"
      ? `${timer.label} 已超时 ${clock(now - timer.deadline)}`
      : `${timer.label} 剩余 ${clock(timer.deadline - now)}`;
  }

  function showLimits(node, now) {
    let limits = null;
    try { limits = JSON.parse(node.dataset.limits || "null"); } catch (e) { limits = null; }
    if (!limits) return;
    const windowLeft = document.getElementById("window-left");
    const messagesLeft = document.getElementById("messages-left");
    const open = limits.window_ends !== null && now < limits.window_ends;
    windowLeft.className = open ? "open" : "closed";
    windowLeft.textContent = open
      ? `剩余 ${clock(limits.window_ends - now)}`
      : "已关闭（顾客再发消息后才能回复）";
    const left = open ? limits.left : 0;
    messagesLeft.className = left ? "" : "spent";
    messagesLeft.textContent =
      `${left} 条（顾客每发一条消息后最多 ${limits.quota} 条，超出会被微信拒收 ${limits.codes}）`;
  }

  function tick() {
    const now = Date.now();
    for (const node of document.querySelectorAll("[data-timer]")) showTimer(node, now);
    const limits = document.getElementById("wechat-limits");
    if (limits) showLimits(limits, now);
  }

  // live updates from the conversation's stream (console.js)
  window.addEventListener("conversation-timers", (event) => {
    const sla = document.getElementById("sla");
    if (sla) sla.dataset.timer = JSON.stringify(event.detail.sla);
    const limits = document.getElementById("wechat-limits");
    if (limits && event.detail.limits) {
      limits.dataset.limits = JSON.stringify(event.detail.limits);
    }
    tick();
  });
  window.addEventListener("queue-rendered", tick);
  tick();
  setInterval(tick, 1000);
})();
