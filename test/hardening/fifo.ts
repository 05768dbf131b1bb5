import { execFileSync } from "node:child_process";

/** A named pipe at `path` (Node has no mkfifo). */
export function mkfifoSync(path: string): void {
  execFileSync("mkfifo", [path]);
}
