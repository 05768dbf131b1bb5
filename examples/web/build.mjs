// The web demo's build (`npm run demo:web`): bundle main.ts with esbuild for the browser into
// examples/web/dist/ with the page, the shipped example spec, its weights (written by
// `nnx-gen export --format safetensors --seed 0`) and onnxruntime-web's .wasm files copied from
// the installed package into dist/ort/ (the page sets wasmPaths to it). `--serve` then serves
// dist/ on http://127.0.0.1:8080/ (any static server will do).
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = join(here, "..", "..");
const out = join(here, "dist");
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "ort"), { recursive: true });

await build({
  entryPoints: [join(here, "main.ts")],
  outfile: join(out, "app.js"),
  bundle: true,
  platform: "browser",
  format: "esm",
  target: "es2022",
  minify: true,
  // In a user's project "nnx-gen/web" resolves through node_modules; here, to this package.
  alias: { "nnx-gen/web": join(root, "dist/web/index.js") },
  logLevel: "warning",
});
copyFileSync(join(here, "index.html"), join(out, "index.html"));
copyFileSync(join(root, "fixtures/examples/tiny_cnn.yaml"), join(out, "tiny_cnn.yaml"));
execFileSync(process.execPath, [join(root, "bin/nnx-gen.js"), "export", join(out, "tiny_cnn.yaml"), "--format", "safetensors", "--seed", "0", "-o", join(out, "tiny_cnn.safetensors")], { stdio: "inherit" });
const ortDist = join(root, "node_modules/onnxruntime-web/dist");
// What ort.bundle.min.mjs (what bundlers pick for browsers) loads from wasmPaths: the wasm SIMD
// build with WebGPU (JSEP), its .wasm and its .mjs glue.
for (const f of readdirSync(ortDist)) if (/^ort-wasm-simd-threaded\.jsep\.(wasm|mjs)$/.test(f)) copyFileSync(join(ortDist, f), join(out, "ort", f));
console.log(`built ${out}`);

if (process.argv.includes("--serve")) {
  const types = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".yaml": "text/plain" };
  createServer((req, res) => {
    const path = normalize(join(out, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)));
    const file = path.endsWith("/") ? join(path, "index.html") : path;
    if (!file.startsWith(out) || !statSync(file, { throwIfNoEntry: false })?.isFile()) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  }).listen(8080, "127.0.0.1", () => console.log("serving http://127.0.0.1:8080/"));
}
