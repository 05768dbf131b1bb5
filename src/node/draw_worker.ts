/**
 * A worker thread of `drawInParallel` (draw_workers.ts): claims jobs from the shared counter,
 * largest first, and hands each result back without a copy (its buffer is transferred). Runs
 * from dist/node/ for both the library and the bundled CLI.
 */
import { parentPort, workerData } from "node:worker_threads";
import { runDraw, type DrawJob } from "../params/draws.js";

const { jobs, order, next } = workerData as { jobs: DrawJob[]; order: Int32Array; next: Int32Array };
for (;;) {
  const k = Atomics.add(next, 0, 1);
  if (k >= order.length) break;
  const i = order[k]!;
  const data = runDraw(jobs[i]!);
  parentPort!.postMessage({ i, data }, [data.buffer as ArrayBuffer]);
}
parentPort!.postMessage({ done: true });
