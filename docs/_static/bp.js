// bp's small additions to the theme, on every page.
"use strict";
(() => {
  const ready = (f) =>
    document.readyState === "loading" ? document.addEventListener("DOMContentLoaded", f) : f();
  const chinese = () => document.documentElement.lang.startsWith("zh");

  // Phone navigation. pydata-sphinx-theme 0.20 (docs/constraints.txt) binds only the first
  // .primary-toggle and the first .secondary-toggle of a page (document.querySelector), but a
  // page has two of each: the header's, hidden, and the article header's, the one a reader
  // sees. The others pass their click to the bound one, which opens the sidebar (a dialog on
  // a narrow screen) or, on a wide one, folds the navigation away.
  ready(() => {
    for (const selector of [".primary-toggle", ".secondary-toggle"]) {
      const [bound, ...others] = document.querySelectorAll(selector);
      for (const button of others) {
        button.addEventListener(
          "click",
          (event) => {
            event.preventDefault();
            event.stopImmediatePropagation();
            bound.click();
          },
          true,
        );
      }
    }
  });

  // The download button opens the .ipynb in a new tab; make it save the notebook instead,
  // under its own name.
  ready(() => {
    for (const a of document.querySelectorAll("a.btn-download-source-button")) {
      a.setAttribute("download", a.getAttribute("href").split("/").pop());
      a.removeAttribute("target");
    }
  });

  // Images open at full size: a click (or Enter) shows the image at its natural size in a
  // dialog, scrolled if it is larger than the window; a click or Escape closes it.
  ready(() => {
    const label = chinese() ? "点击查看原始大小的图片" : "Click to see the image at full size";
    for (const img of document.querySelectorAll("article.bd-article img")) {
      if (img.closest("a")) continue;
      img.classList.add("bp-zoomable");
      img.tabIndex = 0;
      img.setAttribute("role", "button");
      img.setAttribute("aria-label", img.alt ? `${img.alt} (${label})` : label);
      img.title = label;
      const open = () => {
        const dialog = document.createElement("dialog");
        dialog.className = "bp-zoom";
        const big = document.createElement("img");
        big.src = img.currentSrc || img.src;
        big.alt = img.alt;
        dialog.append(big);
        document.body.append(dialog);
        dialog.addEventListener("click", () => dialog.close());
        dialog.addEventListener("close", () => dialog.remove());
        // Sphinx's sphinx_highlight.js swallows Escape: close the dialog here
        dialog.addEventListener("keydown", (event) => {
          if (event.key === "Escape") {
            event.preventDefault();
            event.stopPropagation();
            dialog.close();
          }
        });
        dialog.showModal();
      };
      img.addEventListener("click", open);
      img.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          open();
        }
      });
    }
  });
})();
