/**
 * `--seed` initialization as independent draws: once the keys are taken from the `nnx.Rngs`
 * stream in construction order (cheap, sequential), each parameter's values depend only on its
 * job (initializer, shape, key, dtype, layout). So the jobs can run on several threads, and
 * give the same bits on any number of them. The host runs them in parallel where it can
 * (src/host.ts `drawInParallel`: worker threads in Node); the web entry draws on the calling
 * thread. No Node imports.
 */
import { hasHost, host } from "../host.js";
import { numElements } from "../tensor.js";
import { drawsFromKey, sampleInitializer, type Initializer } from "./initializers.js";
import type { FloatDType } from "./jax_random.js";
import type { Key, PrngLayout } from "./threefry.js";

/** One parameter's draw: `init(key, shape, dtype)` in the given threefry layout. */
export interface DrawJob {
  readonly init: Initializer;
  readonly shape: readonly number[];
  readonly key: Key;
  readonly dtype: FloatDType;
  readonly layout: PrngLayout;
}

/** float32 values, or the raw bits of float16/bfloat16 ones. */
export type DrawResult = Float32Array | Uint16Array;

export function runDraw(job: DrawJob): DrawResult {
  return sampleInitializer(job.init, job.shape, job.key, job.dtype, job.layout);
}

/**
 * Below this many drawn values in all (zeros, ones and constants not counted) everything stays
 * on the calling thread: starting a worker costs tens of milliseconds, about what one thread
 * draws 2M values in.
 */
export const PARALLEL_MIN_VALUES = 1 << 22;

/** The threads `runDraws` uses when not told: the host's choice, else 1. */
export function defaultDrawThreads(): number {
  return hasHost() ? (host().drawThreads ?? 1) : 1;
}

/**
 * Every job's values, in order. `threads` (default: the host's choice) counts the calling
 * thread; with 1, or where the host has no threads, or for small draws, everything runs here.
 */
export async function runDraws(jobs: readonly DrawJob[], threads = defaultDrawThreads()): Promise<DrawResult[]> {
  const parallel = hasHost() ? host().drawInParallel : undefined;
  const values = jobs.reduce((n, j) => n + (drawsFromKey(j.init) ? numElements(j.shape) : 0), 0);
  if (parallel === undefined || threads <= 1 || jobs.length < 2 || values < PARALLEL_MIN_VALUES) return jobs.map(runDraw);
  return parallel(jobs, Math.min(threads, jobs.length));
}
