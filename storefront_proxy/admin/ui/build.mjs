// Builds the embedded admin (React + Shopify Polaris) into storefront_proxy/admin/static/dist/, which Flask
// serves: admin.js and admin.css (Polaris's and polaris-viz's styles), and Polaris's own translations for
// the admin's languages (the page embeds the one it needs). Run by scripts/bootstrap; `npm run build:admin`.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const out = join(here, "..", "static", "dist");
// The storefront's languages (storefront_proxy/i18n.py LANGUAGES), which the admin speaks too.
const LANGUAGES = ["en", "nl", "fi", "de", "fr", "es", "sv", "da"];

mkdirSync(join(out, "polaris-locales"), { recursive: true });
for (const language of LANGUAGES) {
  copyFileSync(
    join(root, "node_modules", "@shopify", "polaris", "locales", `${language}.json`),
    join(out, "polaris-locales", `${language}.json`),
  );
}

await build({
  entryPoints: { admin: join(here, "src", "main.jsx") },
  bundle: true,
  minify: true,
  sourcemap: false,
  format: "iife",
  target: ["es2020"],
  jsx: "automatic",
  outdir: out,
  define: { "process.env.NODE_ENV": '"production"' },
  legalComments: "linked",
  logLevel: "warning",
});
const version = JSON.parse(readFileSync(join(root, "node_modules", "@shopify", "polaris", "package.json"))).version;
console.log(`Built the admin with Polaris ${version} into ${out}`);
