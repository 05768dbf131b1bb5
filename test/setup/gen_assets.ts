/** vitest globalSetup: write src/generated/ (as `npm run build` does) before any test imports the core. */
import { execFileSync } from "node:child_process";

export default function setup(): void {
  execFileSync(process.execPath, [new URL("../../scripts/gen-assets.mjs", import.meta.url).pathname], { stdio: "inherit" });
}
