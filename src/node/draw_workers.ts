/**
 * The Node host's `drawInParallel` (src/host.ts): `--seed` draws on worker threads. Each job
 * is one parameter, computed whole by one thread (so its bits do not depend on the thread
 * count); threads claim jobs largest first from a shared counter, this one included, and
 * results come back as transferred buffers (no copy). A job a worker did not finish (it
 * failed to start, or died) is drawn here.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { runDraw, type DrawJob, type DrawResult } from "../params/draws.js";
import { numElements } from "../tensor.js";

/**
 * dist/node/draw_worker.js, from dist/node/ (the library) and dist/cli-bundle/ (the CLI) alike.
 * Missing when running from sources (tests): then everything is drawn here.
 */
const WORKER = new URL("../node/draw_worker.js", import.meta.url);
const workerExists = (() => {
  let known: boolean | undefined;
  return () => (known ??= WORKER.protocol === "file:" && existsSync(fileURLToPath(WORKER)));
})();

/** The default: every core, up to 8 (more rarely pays for the page faults they share). */
export const DRAW_THREADS = Math.max(1, Math.min(8, availableParallelism()));

/** Jobs drawn by workers so far in this process (tests check the workers ran). */
export let workerDraws = 0;

/** `callerDraws: false` (tests): this thread only waits, so the workers draw every job. */
export async function drawInParallel(jobs: readonly DrawJob[], threads: number, callerDraws = true): Promise<DrawResult[]> {
  const results: (DrawResult | undefined)[] = new Array(jobs.length);
  if (threads <= 1 || !workerExists()) return jobs.map(runDraw);
  const order = Int32Array.from(jobs.keys()).sort((a, b) => numElements(jobs[b]!.shape) - numElements(jobs[a]!.shape) || a - b);
  const next = new Int32Array(new SharedArrayBuffer(4));
  // Only the jobs' own fields cross (callers' jobs may carry more, e.g. their layer).
  const sent: DrawJob[] = jobs.map(({ init, shape, key, dtype, layout }) => ({ init, shape, key, dtype, layout }));
  const finished: Promise<void>[] = [];
  for (let w = callerDraws ? 1 : 0; w < threads; w++) {
    finished.push(
      new Promise<void>((resolve) => {
        let worker: Worker;
        try {
          worker = new Worker(WORKER, { workerData: { jobs: sent, order, next } });
        } catch {
          return resolve(); // no worker: this thread draws its share
        }
        worker.on("message", (m: { i: number; data: DrawResult } | { done: true }) => {
          if ("done" in m) resolve();
          else {
            results[m.i] = m.data;
            workerDraws++;
          }
        });
        // Its unfinished job, if any, is drawn below.
        worker.on("error", () => resolve());
        worker.on("exit", () => resolve());
      }),
    );
  }
  while (callerDraws) {
    const k = Atomics.add(next, 0, 1);
    if (k >= order.length) break;
    results[order[k]!] = runDraw(jobs[order[k]!]!);
  }
  await Promise.all(finished);
  return results.map((r, i) => r ?? runDraw(jobs[i]!));
}
