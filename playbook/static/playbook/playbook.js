/* The `::` template picker of the ticket page (issue 20 §1).
 *
 * Typing `::` in the reply, contact or follow-up text area opens a list of the templates that fit
 * the complaint; the words typed after `::` filter it. ↑/↓ move, Enter or Tab fills, Esc closes.
 * Filling asks the server (which counts and audits the use) and leaves the text editable.
 * The ticket panel is swapped by htmx, so everything listens on the document.
 */
(function () {
  "use strict";

  // Which text areas take which kind of template: the action's form, then the field.
  var TARGETS = {
    reply: { kind: "reply", fields: ["basic_facts", "handling", "result"] },
    contact: { kind: "contact", fields: ["summary"] },
    follow_up: { kind: "follow_up", fields: ["customer_words"] },
  };
  var TRIGGER = /::([^\s:]{0,20})$/;
  var state = null; // {area, kind, start, items, index, list, timer}

  function config() {
    return document.getElementById("playbook");
  }

  function targetOf(area) {
    if (!area || area.tagName !== "TEXTAREA") return null;
    var box = area.closest("details[data-action]");
    var target = box && TARGETS[box.getAttribute("data-action")];
    return target && target.fields.indexOf(bare(area.name)) >= 0 ? target : null;
  }

  // The ticket's forms prefix their fields with the action: "reply-basic_facts".
  function bare(name) {
    return name.replace(/^.*-/, "");
  }

  function fieldOf(form, name) {
    var areas = form.querySelectorAll("textarea");
    for (var i = 0; i < areas.length; i++) if (bare(areas[i].name) === name) return areas[i];
    return null;
  }

  function csrf(form) {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function close() {
    if (!state) return;
    clearTimeout(state.timer);
    state.list.remove();
    state.area.removeAttribute("aria-activedescendant");
    state.area.setAttribute("aria-expanded", "false");
    state = null;
  }

  function render() {
    var cfg = config();
    var list = state.list;
    list.textContent = "";
    if (!state.items.length) {
      var empty = document.createElement("li");
      empty.className = "list-group-item small text-muted";
      empty.textContent = state.failed ? cfg.dataset.failed : cfg.dataset.empty;
      list.appendChild(empty);
      return;
    }
    state.items.forEach(function (item, i) {
      var li = document.createElement("li");
      li.id = "playbook-option-" + item.id;
      li.setAttribute("role", "option");
      li.className = "list-group-item list-group-item-action small" + (i === state.index ? " active" : "");
      li.setAttribute("aria-selected", i === state.index ? "true" : "false");
      li.dataset.index = String(i);
      var title = document.createElement("strong");
      title.textContent = item.title;
      var preview = document.createElement("div");
      preview.className = "text-truncate";
      var first = item.parts.text || item.parts.basic_facts || { text: "" };
      preview.textContent = first.text;
      li.appendChild(title);
      li.appendChild(preview);
      list.appendChild(li);
    });
    state.area.setAttribute("aria-activedescendant", "playbook-option-" + state.items[state.index].id);
  }

  function load(query) {
    var cfg = config();
    var url = cfg.dataset.templatesUrl + "?kind=" + encodeURIComponent(state.kind) +
      "&q=" + encodeURIComponent(query);
    var mine = state;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (items) {
        if (state !== mine) return;
        mine.items = items; mine.index = 0; mine.failed = false; render();
      })
      .catch(function () {
        if (state !== mine) return;
        mine.items = []; mine.failed = true; render();
      });
  }

  function open(area, target, start, query) {
    var cfg = config();
    if (!state || state.area !== area) {
      close();
      var list = document.createElement("ul");
      list.id = "playbook-list";
      list.className = "list-group playbook-list shadow-sm mb-2";
      list.setAttribute("role", "listbox");
      list.setAttribute("aria-label", cfg.dataset.label);
      area.insertAdjacentElement("afterend", list);
      area.setAttribute("aria-controls", "playbook-list");
      area.setAttribute("aria-expanded", "true");
      area.setAttribute("aria-autocomplete", "list");
      state = { area: area, kind: target.kind, items: [], index: 0, list: list, timer: 0 };
      list.addEventListener("mousedown", function (e) {
        var li = e.target.closest("li[data-index]");
        if (li) { e.preventDefault(); state.index = Number(li.dataset.index); choose(); }
      });
    }
    state.start = start;
    clearTimeout(state.timer);
    state.timer = setTimeout(function () { load(query); }, 150);
  }

  function put(area, text, from, to) {
    var value = area.value;
    if (from === undefined) {
      area.value = value.trim() ? value.replace(/\s*$/, "\n") + text : text;
    } else {
      area.value = value.slice(0, from) + text + value.slice(to);
      area.selectionStart = area.selectionEnd = from + text.length;
    }
    area.dispatchEvent(new Event("input", { bubbles: true })); // htmx's live reply check
  }

  function fill(area, item, from, to) {
    var form = area.closest("form");
    var missing = [];
    Object.keys(item.parts).forEach(function (name) {
      var part = item.parts[name];
      var field = name === "text" ? area : fieldOf(form, name);
      if (!field) return;
      if (field === area) put(field, part.text, from, to); else put(field, part.text);
      part.unfilled.forEach(function (p) { if (missing.indexOf(p) < 0) missing.push(p); });
    });
    var note = form.querySelector(".playbook-unfilled");
    if (note) note.remove();
    if (missing.length) {
      note = document.createElement("div");
      note.className = "playbook-unfilled alert alert-warning py-1 small";
      note.setAttribute("role", "status");
      note.textContent = config().dataset.unfilled + missing.map(function (p) { return "{" + p + "}"; }).join("、");
      form.insertBefore(note, form.querySelector("button[type=submit]"));
    }
    area.focus();
  }

  function choose() {
    var item = state && state.items[state.index];
    if (!item) return close();
    var area = state.area;
    var from = state.start;
    var to = area.selectionEnd;
    close();
    var form = area.closest("form");
    fetch(config().dataset.templatesUrl + item.id + "/use/", {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf(form) },
    })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (used) { fill(area, used, from, to); })
      .catch(function () { fill(area, item, from, to); });
  }

  document.addEventListener("input", function (e) {
    var area = e.target;
    var target = targetOf(area);
    if (!target || !config()) return;
    var before = area.value.slice(0, area.selectionStart);
    var match = TRIGGER.exec(before);
    if (match) open(area, target, before.length - match[0].length, match[1]);
    else if (state && state.area === area) close();
  });

  document.addEventListener("keydown", function (e) {
    if (!state || e.target !== state.area) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!state.items.length) return;
      var step = e.key === "ArrowDown" ? 1 : -1;
      state.index = (state.index + step + state.items.length) % state.items.length;
      render();
    } else if (e.key === "Enter" || e.key === "Tab") {
      if (!state.items.length) return close();
      e.preventDefault();
      choose();
    } else if (e.key === "Escape") {
      e.preventDefault();
      close();
    }
  });

  document.addEventListener("focusout", function (e) {
    if (state && e.target === state.area) setTimeout(function () {
      if (state && document.activeElement !== state.area) close();
    }, 150);
  });

  // After a macro that brings a template: open its form and fill it (the use is recorded).
  function fillFromMacro() {
    var cfg = config();
    var id = new URLSearchParams(window.location.search).get("template");
    if (!cfg || !id || !/^\d+$/.test(id)) return;
    // Once only: a reload must not fill the form a second time.
    var url = new URL(window.location.href);
    url.searchParams.delete("template");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
    fetch(cfg.dataset.templatesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (items) {
        var item = items.filter(function (t) { return String(t.id) === id; })[0];
        var box = item && document.querySelector('details[data-action="' + item.kind + '"]');
        if (!box) return;
        box.open = true;
        var first = box.querySelector("textarea");
        if (first) fill(first, item);
      });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fillFromMacro);
  else fillFromMacro();
})();
