// The theme's "Download source file" button opens the .ipynb in a new tab; make it save the
// notebook instead, under its own name.
document.addEventListener("DOMContentLoaded", () => {
  for (const a of document.querySelectorAll("a.btn-download-source-button")) {
    a.setAttribute("download", a.getAttribute("href").split("/").pop());
    a.removeAttribute("target");
  }
});
