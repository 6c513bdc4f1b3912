// The search page (docs/_templates/layout.html loads this there only): the snippet under each
// result is the text of the page's article alone, without the theme's buttons and menus
// ("System Settings Light Dark"), and its formulas as plain text (δˡ, not TeX).
"use strict";
(() => {
  const THEME = [
    "#jb-print-docs-body", ".bd-header-article", ".header-article-items", ".theme-switch-button", ".prev-next-area",
    ".bd-sidebar-primary", ".bd-sidebar-secondary", ".bd-footer", ".bd-footer-article",
    ".bd-footer-content", ".bp-run-yourself", ".headerlink", "nav", "footer", "dialog",
    "script", "style", "button",
  ].join(", ");
  const SUP = Object.fromEntries(
    [..."0123456789+-=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVW"].map((c, i) => [
      c, [..."⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂ"][i],
    ]),
  );
  const SUB = Object.fromEntries(
    [..."0123456789+-=()aehijklmnoprstuvx"].map((c, i) => [
      c, [..."₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"][i],
    ]),
  );
  const script = (text, table, mark) =>
    [...text].every((c) => c in table)
      ? [...text].map((c) => table[c]).join("")
      : `${mark}${text.length > 1 ? `(${text})` : text}`;
  // MathML (the formula's text for screen readers, which the page carries) as plain text.
  const plain = (node) => {
    const kids = [...node.children];
    const name = node.localName;
    if (!kids.length) return node.textContent;
    if (name === "msup") return plain(kids[0]) + script(plain(kids[1]), SUP, "^");
    if (name === "msub") return plain(kids[0]) + script(plain(kids[1]), SUB, "_");
    if (name === "msubsup")
      return plain(kids[0]) + script(plain(kids[1]), SUB, "_") + script(plain(kids[2]), SUP, "^");
    if (name === "mfrac") return `${plain(kids[0])}/${plain(kids[1])}`;
    return kids.map(plain).join("");
  };
  document.addEventListener("DOMContentLoaded", () => {
    if (typeof Search === "undefined") return;
    const htmlToText = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => {
      const page = new DOMParser().parseFromString(htmlString, "text/html");
      page.querySelectorAll(THEME).forEach((el) => el.remove());
      page.querySelectorAll("mjx-container").forEach((math) => {
        const mml = math.querySelector("math");
        math.replaceWith(page.createTextNode(mml ? plain(mml) : ""));
      });
      return htmlToText(page.documentElement.outerHTML, anchor);
    };
  });
})();
