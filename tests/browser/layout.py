"""What a page must be on a phone and on a desktop, measured in the browser.

Phone (390 px, branch staff on the floor): no sideways scrolling, text at least 14 px, every
tap target at least 44 px high. Desktop (1366 px): the header is one line for every role.
"""

from __future__ import annotations

MIN_TEXT_PX = 14
MIN_TARGET_PX = 44

# Returns a list of problems, each "what: where".
_PHONE_PROBLEMS = """
([minText, minTarget]) => {
  const problems = [];
  const visible = (el) => {
    if (!el.getClientRects().length) return false;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.opacity === "0") return false;
    const box = el.getBoundingClientRect();
    // Bootstrap's .visually-hidden: a 1 px clip for screen readers only.
    return box.width > 1 && box.height > 1;
  };
  const where = (el) => {
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim();
    return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " «" + text.slice(0, 30) + "»";
  };
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth + 1) {
    problems.push("sideways scroll: page " + doc.scrollWidth + " px wide in " + doc.clientWidth);
  }
  // Text: every element with text of its own.
  for (const el of document.body.querySelectorAll("*")) {
    if (["SCRIPT", "STYLE", "NOSCRIPT", "OPTION", "OPTGROUP"].includes(el.tagName)) continue;
    const own = Array.from(el.childNodes).some(
      (n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim()
    );
    if (!own || !visible(el)) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < minText - 0.01) problems.push("text " + size + " px: " + where(el));
  }
  // Tap targets: what a thumb presses. A checkbox or radio is pressed through its row with
  // the label; a file input through the button that holds it.
  const targets = document.body.querySelectorAll(
    "a[href], button, select, textarea, summary, input:not([type=hidden])"
  );
  for (const el of targets) {
    let target = el;
    if (el.matches("input[type=checkbox], input[type=radio]")) {
      target = el.closest(".form-check") || el;
    }
    if (el.matches("input[type=file]")) target = el.closest(".file-pick") || el;
    if (!visible(target) || target.closest(".visually-hidden-focusable")) continue;
    const box = target.getBoundingClientRect();
    if (box.height < minTarget - 0.5) {
      problems.push("target " + Math.round(box.height) + " px high: " + where(el));
    }
  }
  return problems;
}
"""

_HEADER_PROBLEMS = """
() => {
  const problems = [];
  const nav = document.querySelector("nav.app-nav");
  if (!nav) return ["no header"];
  const line = (el) => {
    const style = getComputedStyle(el);
    return parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.5;
  };
  const items = nav.querySelectorAll(".navbar-brand, .nav-link, .nav-user, .btn, select, input");
  for (const el of items) {
    if (!el.getClientRects().length) continue;
    const box = el.getBoundingClientRect();
    // One line of text, plus the control's padding and border.
    if (el.getClientRects().length > 1 || box.height > line(el) * 1.6 + 20) {
      problems.push("wraps: " + el.tagName.toLowerCase() + " «" + el.innerText.trim() + "»");
    }
  }
  const tops = Array.from(nav.querySelector(".container-fluid").children)
    .filter((el) => el.getClientRects().length)
    .map((el) => Math.round(el.getBoundingClientRect().top));
  if (Math.max(...tops) - Math.min(...tops) > 16) problems.push("the header is on two lines");
  return problems;
}
"""


# WCAG's contrast ratio between an element's text and the background it is painted on.
_CONTRAST = """
(el) => {
  const rgba = (c) => c.match(/[\\d.]+/g).slice(0, 4).map(Number);
  const channel = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  let back = el;
  while (back && rgba(getComputedStyle(back).backgroundColor)[3] === 0) back = back.parentElement;
  const fg = luminance(rgba(getComputedStyle(el).color));
  const bg = luminance(rgba(getComputedStyle(back || document.body).backgroundColor));
  return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
}
"""


def contrast_ratio(locator) -> float:
    return locator.evaluate(_CONTRAST)


def phone_problems(page) -> list[str]:
    """Sideways scrolling, text under 14 px and tap targets under 44 px on the page now."""
    return page.evaluate(_PHONE_PROBLEMS, [MIN_TEXT_PX, MIN_TARGET_PX])


def header_problems(page) -> list[str]:
    """What in the header wraps or sits on a second line."""
    return page.evaluate(_HEADER_PROBLEMS)


def assert_thumb_friendly(page) -> None:
    problems = phone_problems(page)
    assert problems == [], f"{page.url} on a phone:\n" + "\n".join(problems)


def assert_header_on_one_line(page) -> None:
    problems = header_problems(page)
    assert problems == [], f"{page.url}:\n" + "\n".join(problems)
