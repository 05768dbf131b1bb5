/**
 * glibc malloc tuning for model runs. onnxruntime-node copies every output into a fresh
 * ArrayBuffer; glibc serves big blocks with mmap and unmaps them on free, so every run
 * page-faults its outputs in again (~12.5 us per 4 KiB page on this VM: a 65 MB logits output
 * costs 3-5x the model). These tunables keep freed memory in the heap (no mmap for big blocks,
 * no trimming), so later runs reuse pages already mapped. GLIBC_TUNABLES is read only at
 * process start, so the CLI re-executes itself once with the variable set (`run` and `bench`
 * do; measured by test/runtime/measure_page_faults.ts).
 */

/**
 * The settings. 4 GiB = effectively "never". glibc.malloc.hugetlb=1 (suggested in the runtime
 * notes) is left out: with these two the steady state already has no faults, and with THP in
 * "madvise" mode it made loading a 128 MB model 2-3x slower (direct compaction on fault).
 */
export const MALLOC_TUNABLES: readonly (readonly [string, string])[] = [
  ["glibc.malloc.mmap_threshold", "4294967296"],
  ["glibc.malloc.trim_threshold", "4294967296"],
];

/** Set in the re-executed child: guards against loops. */
export const TUNED_MARK = "NNX_GEN_MALLOC_TUNED";
/** Users set this to 1 to keep their process as is (no re-exec). */
export const OPT_OUT = "NNX_GEN_NO_MALLOC_TUNING";

export type Env = Readonly<Record<string, string | undefined>>;

export interface Platform {
  readonly os: string;
  /** glibc version at run time, undefined on musl and non-Linux systems. */
  readonly glibc: string | undefined;
}

/** This process's platform (reading the glibc version costs ~4 ms: call only when running models). */
export function currentPlatform(): Platform {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return { os: process.platform, glibc: header?.glibcVersionRuntime };
}

function parseTunables(value: string | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of (value ?? "").split(":")) {
    const eq = part.indexOf("=");
    if (eq > 0) m.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return m;
}

/**
 * Whether the CLI should re-execute itself with `tunedEnv`: on glibc Linux, unless already
 * tuned (by us or by the user, who may set GLIBC_TUNABLES with these keys) or opted out.
 */
export function needsReexec(env: Env, platform: Platform = currentPlatform()): boolean {
  if (platform.os !== "linux" || platform.glibc === undefined) return false;
  if (env[TUNED_MARK] !== undefined || (env[OPT_OUT] !== undefined && env[OPT_OUT] !== "0")) return false;
  return !hasTunables(env);
}

/**
 * Whether this process started with the tunables' keys in GLIBC_TUNABLES (set by the re-exec
 * or by the user), so freed big blocks stay mapped. glibc reads the variable only at start.
 */
export function hasTunables(env: Env): boolean {
  const have = parseTunables(env.GLIBC_TUNABLES);
  return MALLOC_TUNABLES.every(([k]) => have.has(k));
}

/** `env` with the tunables merged into GLIBC_TUNABLES (the user's own values win) and the mark set. */
export function tunedEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  const have = parseTunables(env.GLIBC_TUNABLES);
  const added = MALLOC_TUNABLES.filter(([k]) => !have.has(k)).map(([k, v]) => `${k}=${v}`);
  out.GLIBC_TUNABLES = [env.GLIBC_TUNABLES, ...added].filter((s) => s !== undefined && s !== "").join(":");
  out[TUNED_MARK] = "1";
  return out;
}

/** The command line that starts this same program again: node, its flags, the script and its arguments. */
export function reexecCommand(proc: Pick<NodeJS.Process, "execPath" | "execArgv" | "argv"> = process): { command: string; args: string[] } {
  return { command: proc.execPath, args: [...proc.execArgv, ...proc.argv.slice(1)] };
}
