/* Live countdowns, and the queue announcing new assignments (toast + aria-live). */
(function () {
  "use strict";
  var en = (document.body.dataset.lang || "").indexOf("en") === 0;

  function duration(seconds) {
    seconds = Math.floor(Math.abs(seconds));
    var d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600),
        m = Math.floor((seconds % 3600) / 60);
    if (en) return d ? d + "d " + h + "h" : (h ? h + "h " + m + "m" : m + "m");
    return d ? d + "天" + h + "小时" : (h ? h + "小时" + m + "分" : m + "分");
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var left = (Date.parse(el.dataset.due) - now) / 1000;
      var text = left < 0 ? (en ? "overdue " : "已超时 ") + duration(left)
                          : (en ? "left " : "剩余 ") + duration(left);
      if (el.textContent !== text) el.textContent = text;
      if (left < 0) {
        el.classList.add("text-danger");
        var row = el.closest(".queue-row");
        if (row && !row.classList.contains("level-breached")) {
          row.classList.remove("level-ok", "level-warning");
          row.classList.add("level-breached");
        }
      }
    });
  }

  function toast(message) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var el = document.createElement("div");
    el.className = "toast align-items-center text-bg-primary border-0 show";
    el.setAttribute("role", "status");
    el.innerHTML = '<div class="d-flex"><div class="toast-body"></div>' +
      '<button type="button" class="btn-close btn-close-white me-2 m-auto" aria-label="关闭"></button></div>';
    el.querySelector(".toast-body").textContent = message;
    el.querySelector("button").addEventListener("click", function () { el.remove(); });
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, 15000);
  }

  function ticketsIn(root) {
    var set = {};
    root.querySelectorAll("[data-ticket]").forEach(function (row) { set[row.dataset.ticket] = row; });
    return set;
  }

  var queue = document.querySelector("[data-queue]");
  var known = queue ? ticketsIn(queue) : {};
  document.addEventListener("htmx:afterSwap", function (event) {
    tick();
    if (!queue || event.detail.target !== queue) return;
    var now = ticketsIn(queue), fresh = [];
    Object.keys(now).forEach(function (t) { if (!known[t]) { fresh.push(t); now[t].classList.add("is-new"); } });
    known = now;
    if (fresh.length) {
      toast((en ? "New complaints assigned: " : "新分派工单：") + fresh.join("、"));
    }
  });
  // After an action, keep keyboard focus on the refreshed panel's message.
  document.addEventListener("htmx:afterSettle", function (event) {
    var alert = document.getElementById("action-alert");
    if (alert && event.detail.target && event.detail.target.id === "ticket-panel") {
      alert.setAttribute("tabindex", "-1");
      alert.focus();
    }
  });
  tick();
  setInterval(tick, 1000);
  window.consoleToast = toast;
})();
