// Render TeX to MathJax 3 CommonHTML at build time (docs/conf.py calls this once per book).
//
//   node docs/render_math.js MATHJAX_ES5_DIR FONT_URL < formulas.json > rendered.json
//
// stdin: a JSON list of [tex, display]; stdout: {"html": [...], "css": "...", "errors": [...]}:
// each formula as CommonHTML (with its MathML for screen readers), and the stylesheet for all
// of them (the glyphs they use, with @font-face rules that load MathJax's fonts from FONT_URL).
"use strict";
const path = require("path");
const [es5, fontURL] = process.argv.slice(2);

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  global.MathJax = {
    loader: {
      paths: { mathjax: es5 },
      load: ["adaptors/liteDOM", "input/tex-full", "output/chtml", "a11y/assistive-mml"],
      require: require,
    },
    startup: { typeset: false },
    // the scale at which MathJax in a browser would match the text's x-height (sans-serif)
    chtml: { fontURL: fontURL, scale: 1.15 },
  };
  require(path.join(es5, "startup.js"));
  MathJax.startup.promise
    .then(() => {
      const adaptor = MathJax.startup.adaptor;
      const errors = [];
      const rendered = JSON.parse(input).map(([tex, display]) => {
        const node = MathJax.tex2chtml(tex, { display: display });
        const html = adaptor.outerHTML(node);
        if (html.includes("<mjx-merror")) errors.push(tex);
        return html;
      });
      const css = adaptor.textContent(MathJax.chtmlStylesheet());
      process.stdout.write(JSON.stringify({ html: rendered, css: css, errors: errors }));
    })
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
});
