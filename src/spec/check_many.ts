/**
 * Check many spec files using every core: the main thread and worker threads claim files
 * from one shared counter, so a worker that starts late simply takes fewer. Diagnostics come
 * back in the order of `files`. Few files, or one core, are checked in this thread.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { checkSpecFile } from "./load.js";

/** Below this many files a worker's start-up costs more than it saves. */
const MIN_FILES_PER_WORKER = 48;
const WORKER_URL = new URL("./check_worker.js", import.meta.url);

export interface WorkerInput {
  files: string[];
  /** Int32Array over a SharedArrayBuffer: [0] is the next unclaimed file index. */
  next: SharedArrayBuffer;
}

export type WorkerResult = [index: number, diagnostics: Diagnostic[]][];

/** Claim files from the shared counter until none are left. */
export function checkClaimed(input: WorkerInput): WorkerResult {
  const next = new Int32Array(input.next);
  const out: WorkerResult = [];
  for (let i = Atomics.add(next, 0, 1); i < input.files.length; i = Atomics.add(next, 0, 1)) {
    out.push([i, checkSpecFile(input.files[i]!).diagnostics]);
  }
  return out;
}

export async function checkSpecFiles(files: readonly string[], threads = defaultThreads(files.length)): Promise<Diagnostic[][]> {
  const input: WorkerInput = { files: [...files], next: new SharedArrayBuffer(4) };
  // Workers run the built module (dist/); from sources (tests) everything runs here.
  const workers = threads > 1 && existsSync(WORKER_URL) ? Array.from({ length: threads - 1 }, () => new Worker(WORKER_URL, { workerData: input })) : [];
  const fromWorkers = workers.map(
    (w) =>
      new Promise<WorkerResult>((resolve, reject) => {
        w.once("message", resolve);
        w.once("error", reject);
      }),
  );
  const results = checkClaimed(input);
  for (const r of await Promise.all(fromWorkers)) results.push(...r);
  const byIndex: Diagnostic[][] = files.map(() => []);
  for (const [i, d] of results) byIndex[i] = d;
  return byIndex;
}

function defaultThreads(files: number): number {
  const env = Number(process.env["NNX_GEN_CHECK_THREADS"]);
  const cores = Number.isInteger(env) && env > 0 ? env : availableParallelism();
  return Math.max(1, Math.min(cores, Math.floor(files / MIN_FILES_PER_WORKER) + 1));
}
