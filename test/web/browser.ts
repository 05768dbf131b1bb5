/**
 * Real headless Chromium (Debian's `chromium`, driven by playwright-core) on a page served from
 * 127.0.0.1: the page's script is test/web/page/app.ts bundled by esbuild for the browser, the
 * fixtures are served as files, and onnxruntime-web's .wasm files come from the installed
 * package under /ort/ (the page sets wasmPaths to it). The page has no other origin to reach:
 * any request elsewhere is recorded, and the tests require there is none.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { build } from "esbuild";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const CHROMIUM = process.env["NNX_CHROMIUM"] ?? "/usr/bin/chromium";

const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".wasm": "application/wasm",
  ".yaml": "text/plain",
};

export interface BrowserPage {
  readonly page: Page;
  readonly origin: string;
  /** Requests to anything but the test's server. */
  readonly foreignRequests: string[];
  close(): Promise<void>;
}

/** Bundle the page script (with a generated `--target web` module as `generated-web-module`). */
async function bundlePage(generatedModule: string): Promise<string> {
  const out = await build({
    entryPoints: [join(ROOT, "test/web/page/app.ts")],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    alias: { "nnx-gen/web": join(ROOT, "src/web/index.ts"), "generated-web-module": generatedModule },
    logLevel: "silent",
  });
  return new TextDecoder().decode(out.outputFiles[0]!.contents);
}

function serve(appJs: string): Promise<{ server: Server; origin: string }> {
  const ortDir = join(ROOT, "node_modules/onnxruntime-web/dist");
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const send = (status: number, type: string, body: string | Uint8Array) => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    if (path === "/") return send(200, "text/html", '<!doctype html><meta charset="utf-8"><title>loading</title><script type="module" src="/app.js"></script>');
    if (path === "/app.js") return send(200, "text/javascript", appJs);
    const [base, rest] = path.startsWith("/ort/") ? [ortDir, path.slice(5)] : path.startsWith("/fixtures/") ? [join(ROOT, "fixtures"), path.slice(10)] : [undefined, ""];
    const file = base && normalize(join(base, rest));
    if (!file || !file.startsWith(base) || !existsSync(file) || !statSync(file).isFile()) return send(404, "text/plain", "not found");
    send(200, TYPES[extname(file)] ?? "application/octet-stream", readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => {
    const addr = server.address() as { port: number };
    resolve({ server, origin: `http://127.0.0.1:${addr.port}` });
  }));
}

export async function openPage(generatedModule: string): Promise<BrowserPage> {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (.ci/run does)`);
  const appJs = await bundlePage(generatedModule);
  const { server, origin } = await serve(appJs);
  const profile = mkdtempSync(join(tmpdir(), "nnx-gen-chromium-"));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const foreignRequests: string[] = [];
    context.on("request", (r) => {
      if (!r.url().startsWith(origin + "/")) foreignRequests.push(r.url());
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(origin + "/");
    await page.waitForFunction(() => document.title === "ready", undefined, { timeout: 60_000 }).catch((e: unknown) => {
      throw new Error(`the page did not load: ${errors.join("; ") || String(e)}`);
    });
    const ctx = context;
    return {
      page,
      origin,
      foreignRequests,
      async close() {
        await ctx.close();
        server.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await context?.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}
