/** Expand `check` arguments: files, directories (every .yaml/.yml below) and globs. */
import { readdirSync, statSync } from "node:fs";
import { join, sep } from "node:path";

const SPEC_EXT = /\.ya?ml$/i;

export function expandSpecPaths(args: readonly string[]): { files: string[]; unmatched: string[] } {
  const files: string[] = [];
  const unmatched: string[] = [];
  for (const arg of args) {
    let found: string[];
    if (/[*?[]/.test(arg)) found = glob(arg);
    else {
      let isDir = false;
      try {
        isDir = statSync(arg).isDirectory();
      } catch {
        isDir = false;
      }
      found = isDir ? walk(arg).filter((f) => SPEC_EXT.test(f)) : [arg];
    }
    if (found.length === 0) unmatched.push(arg);
    for (const f of found) if (!files.includes(f)) files.push(f);
  }
  return { files, unmatched };
}

function walk(dir: string): string[] {
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name === "node_modules" || e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Minimal glob: `*` and `?` within a path segment, `**` for any number of segments. */
function glob(pattern: string): string[] {
  const norm = pattern.split(sep).join("/");
  const segs = norm.split("/");
  const firstMagic = segs.findIndex((s) => /[*?[]/.test(s));
  const base = segs.slice(0, firstMagic).join("/");
  let re = base === "" ? "^" : `^${escapeRe(base)}/`;
  segs.slice(firstMagic).forEach((seg, i, rest) => {
    const last = i === rest.length - 1;
    if (seg === "**") re += last ? ".*" : "(?:[^/]+/)*";
    else re += escapeRe(seg).replace(/\\\*/g, "[^/]*").replace(/\\\?/g, "[^/]") + (last ? "" : "/");
  });
  const matcher = new RegExp(re + "$");
  return walk(base === "" ? "." : base).filter((f) => matcher.test(f.split(sep).join("/")));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
