// The print view's 打印 button (issue 20 §5): the browser's own print dialog, which also saves a PDF.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("print-btn");
  if (button) button.addEventListener("click", () => window.print());
});
