// Bundle each widget's front end into the one ES module anywidget loads, and copy its
// CSS beside it: widgets/<name>.js (+ the modules it imports) -> workbench/_frontend/<name>.js,
// widgets/<name>.css -> workbench/_frontend/<name>.css. Run by `npm run build`
// (scripts/setup.sh, and the wheel's build hook in pyproject.toml);
// `node widgets/build.mjs <folder>` writes them into <folder> instead.
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || join(here, "..", "workbench", "_frontend");
/** The widgets: each has a stylesheet <name>.css and an entry module <name>.js here. */
const WIDGETS = readdirSync(here)
  .filter((f) => f.endsWith(".css"))
  .map((f) => f.slice(0, -".css".length));

mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: WIDGETS.map((name) => join(here, `${name}.js`)),
  outdir: out,
  bundle: true,
  format: "esm",
  target: "es2022",
  // readable bundles: they are what the notebooks store and what a reader debugs
  minify: false,
  legalComments: "none",
  logLevel: "warning",
});
for (const name of WIDGETS) copyFileSync(join(here, `${name}.css`), join(out, `${name}.css`));
const built = new Set(WIDGETS.flatMap((name) => [`${name}.js`, `${name}.css`]));
const stale = readdirSync(out).filter((f) => !built.has(f));
if (stale.length) console.warn(`build: ${out} also holds ${stale.join(", ")}`);
