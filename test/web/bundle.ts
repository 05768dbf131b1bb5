/**
 * nnx-gen/web bundled for the browser with esbuild, as a page's build would: every import a
 * Node built-in is recorded (and left out), so a test can require there is none.
 */
import { builtinModules } from "node:module";
import { join } from "node:path";
import { build, type Plugin } from "esbuild";

export const ROOT = new URL("../../", import.meta.url).pathname;

export interface BrowserBundle {
  /** `importer -> node:module` for every Node built-in the bundle would import. */
  readonly nodeImports: string[];
  readonly files: Map<string, Uint8Array>;
}

const BUILTINS = new Set(builtinModules.map((m) => m.replace(/^node:/, "")));

/** Bundle `entry` (a path under the package) for the browser platform, in memory or into `outdir`. */
export async function bundleForBrowser(entry: string, options: { outdir?: string; write?: boolean; external?: string[] } = {}): Promise<BrowserBundle> {
  const nodeImports: string[] = [];
  const recordNode: Plugin = {
    name: "record-node-builtins",
    setup(b) {
      b.onResolve({ filter: /.*/ }, (a) => {
        const bare = a.path.replace(/^node:/, "").split("/")[0]!;
        if (!a.path.startsWith("node:") && !BUILTINS.has(bare)) return undefined;
        nodeImports.push(`${a.importer.replace(ROOT, "")} -> ${a.path}`);
        return { path: a.path, external: true };
      });
    },
  };
  const result = await build({
    entryPoints: { "nnx-gen-web": join(ROOT, entry) },
    outdir: options.outdir ?? join(ROOT, "dist", ".browser-bundle-test"),
    write: options.write ?? false,
    external: options.external ?? [],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    // onnxruntime-web's .wasm files stay files (the page serves them from the installed package).
    loader: { ".wasm": "file" },
    plugins: [recordNode],
    logLevel: "silent",
  });
  const files = new Map<string, Uint8Array>();
  for (const f of result.outputFiles ?? []) files.set(f.path, f.contents);
  return { nodeImports, files };
}
