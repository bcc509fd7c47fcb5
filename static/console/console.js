/* Live countdowns; new assignments and SLA notices announced as toasts (aria-live). */
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
      var row = el.closest(".queue-row");
      // The agent's follow-up in a branch queue is not the branch's overdue: never red there.
      if (left < 0 && !(row && row.classList.contains("level-agent"))) {
        // Red text only on the page's background: inside a red badge it would vanish.
        if (!el.closest(".badge")) el.classList.add("text-danger");
        if (row && !row.classList.contains("level-breached")) {
          row.classList.remove("level-ok", "level-warning");
          row.classList.add("level-breached");
        }
      }
    });
  }

  var TOAST_CSS = {warning: "text-bg-warning", breach: "text-bg-danger", escalation: "text-bg-dark",
                   statutory_risk: "text-bg-danger"};

  function toast(message, level) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var el = document.createElement("div");
    el.className = "toast align-items-center border-0 show " + (TOAST_CSS[level] || "text-bg-primary");
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

  // A ticket announced once per page, whether the queue or a notice saw it first.
  var announced = {};

  // Notices: the header badge polls them and carries the newest unread; each one is
  // announced once per browser tab (the last announced id is kept in sessionStorage). The
  // first poll of a tab only notes where it is: no flood of old notices after login.
  var LAST_NOTICE = "notices-last-id";
  function lastNotice() {
    try { return parseInt(sessionStorage.getItem(LAST_NOTICE) || "", 10); } catch (e) { return NaN; }
  }
  function announceNotices(slot) {
    var seen = lastNotice(), max = isNaN(seen) ? 0 : seen;
    slot.querySelectorAll(".notice-feed").forEach(function (el) {
      var id = parseInt(el.dataset.id, 10), ticket = el.dataset.ticket;
      if (id > max) max = id;
      if (isNaN(seen) || id <= seen) return;
      if (el.dataset.level === "info" && ticket) {  // a new assignment: once per ticket
        if (announced[ticket]) return;
        announced[ticket] = true;
      }
      toast(el.textContent, el.dataset.level);
    });
    try { sessionStorage.setItem(LAST_NOTICE, String(max)); } catch (e) { /* private mode */ }
  }

  var queue = document.querySelector("[data-queue]");
  var known = queue ? ticketsIn(queue) : {};
  document.addEventListener("htmx:afterSwap", function (event) {
    tick();
    var target = event.detail.target;
    if (target && target.id === "notice-badge-slot") { announceNotices(target); return; }
    if (!queue || target !== queue) return;
    var now = ticketsIn(queue), fresh = [];
    Object.keys(now).forEach(function (t) {
      if (known[t]) return;
      now[t].classList.add("is-new");
      if (!announced[t]) { announced[t] = true; fresh.push(t); }
    });
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
  // Intake: Enter in the waybill or phone field (a barcode scanner ends with Enter) looks the
  // customer up and moves to the next field instead of submitting a half-empty form.
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || event.isComposing || !field.matches || !field.matches("[data-enter=next]")) return;
    event.preventDefault();
    var form = field.form;
    if (window.htmx && form) window.htmx.trigger(form, "lookup");
    var fields = Array.prototype.filter.call(form.elements, function (el) {
      return !el.disabled && el.type !== "hidden" && el.offsetParent !== null;
    });
    var next = fields[fields.indexOf(field) + 1];
    if (next) next.focus();
  });

  // The unit picker: typing in the filter keeps only the matching units (name or code) in the
  // select; one match is selected at once. Options are rebuilt, not hidden (iOS ignores that).
  function unitFilter(input) {
    var select = document.getElementById(input.dataset.filters);
    if (!select) return;
    if (!select._all) select._all = select.innerHTML;
    var words = input.value.trim().toLowerCase();
    var chosen = select.value;
    select.innerHTML = select._all;
    if (!words) { select.value = chosen; return; }
    select.querySelectorAll("option").forEach(function (option) {
      if (option.value && option.textContent.toLowerCase().indexOf(words) < 0) option.remove();
    });
    select.querySelectorAll("optgroup").forEach(function (group) {
      var label = (group.label || "").toLowerCase();
      if (!group.querySelector("option") && label.indexOf(words) < 0) group.remove();
    });
    var left = select.querySelectorAll("option[value]:not([value=''])");
    if (left.length === 1) select.value = left[0].value;
    else if (select.querySelector('option[value="' + chosen + '"]')) select.value = chosen;
  }
  document.addEventListener("input", function (event) {
    if (event.target.classList && event.target.classList.contains("unit-filter")) unitFilter(event.target);
  });
  document.addEventListener("keydown", function (event) {
    // Enter in the filter picks the (first) match rather than submitting the dispatch.
    if (event.key === "Enter" && event.target.classList && event.target.classList.contains("unit-filter")) {
      event.preventDefault();
      var select = document.getElementById(event.target.dataset.filters);
      if (select) select.focus();
    }
  });

  // File pickers: say which files were chosen, next to the button.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.closest || !input.closest(".file-pick")) return;
    var shown = input.closest(".file-field").querySelector(".file-chosen");
    var names = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
    if (shown) shown.textContent = names.length ? names.join("、") : (en ? "No file chosen" : "未选择文件");
  });

  tick();
  setInterval(tick, 1000);
  window.consoleToast = toast;
})();
