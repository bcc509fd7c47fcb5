// The ticket page's evidence viewer (issue 20 §5): a thumbnail opens the file in a modal, with
// previous/next over every file of the timeline, ← → and Esc. Each file is fetched from its
// /view/ address, which records the look; without script the same link opens a new tab.
document.addEventListener("DOMContentLoaded", () => {
  const modalEl = document.getElementById("evidence-viewer");
  if (!modalEl || !window.bootstrap) return;
  const modal = bootstrap.Modal.getOrCreateInstance(modalEl);
  const stage = document.getElementById("evidence-viewer-stage");
  const title = document.getElementById("evidence-viewer-title");
  const count = document.getElementById("evidence-viewer-count");
  const prev = document.getElementById("evidence-prev");
  const next = document.getElementById("evidence-next");
  const tab = document.getElementById("evidence-viewer-tab");
  const download = document.getElementById("evidence-viewer-download");
  let items = [];
  let index = 0;
  let opener = null;

  function show(i) {
    if (i < 0 || i >= items.length) return;
    index = i;
    const link = items[i];
    const name = link.dataset.name || "";
    stage.replaceChildren();
    let view;
    if (link.dataset.kind === "pdf") {
      view = document.createElement("iframe");
      view.title = name;
    } else {
      view = document.createElement("img");
      view.alt = name;
    }
    // A fresh address per look: Chromium reuses an image already shown in this page even when
    // it is no-store, and each look must reach the server to be recorded.
    const url = new URL(link.href, document.baseURI);
    url.searchParams.set("look", Date.now().toString(36));
    view.src = url.href;
    view.className = "evidence-view";
    stage.append(view);
    title.textContent = name;
    count.textContent = `${i + 1} / ${items.length}`;
    tab.href = link.href;
    download.href = link.dataset.download || link.href;
    prev.disabled = i === 0;
    next.disabled = i === items.length - 1;
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a.evidence-open");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    items = Array.from(document.querySelectorAll("a.evidence-open"));
    opener = link;
    show(items.indexOf(link));
    modal.show();
  });
  prev.addEventListener("click", () => show(index - 1));
  next.addEventListener("click", () => show(index + 1));
  // On the document: right after the click the focus is still on the thumbnail, not the modal.
  document.addEventListener("keydown", (event) => {
    if (!modalEl.classList.contains("show") || event.target.closest("input, textarea, select")) return;
    if (event.key === "ArrowLeft") { event.preventDefault(); show(index - 1); }
    if (event.key === "ArrowRight") { event.preventDefault(); show(index + 1); }
  });
  modalEl.addEventListener("hidden.bs.modal", () => {
    stage.replaceChildren();  // stop a PDF or a large image still loading
    if (opener && document.body.contains(opener)) opener.focus();
  });
});
