import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/diagnostics/errors.js";
import { DEFAULT_MIN_ITERATIONS, measure } from "../../src/bench/timer.js";

/** A fake monotonic clock that advances `stepNs` on every read. */
function fakeClock(stepNs: bigint) {
  let t = 0n;
  return () => (t += stepNs);
}

describe("measure", () => {
  it("runs the warm-up untimed, then a fixed count", async () => {
    let calls = 0;
    const progress: number[] = [];
    const m = await measure(async () => void calls++, {
      warmup: 2, iterations: 5, now: fakeClock(1_500_000n), onProgress: (f) => progress.push(f),
    });
    expect(calls).toBe(7);
    expect(m.iterations).toBe(5);
    expect(m.warmup).toBe(2);
    expect(m.samplesMs).toEqual([1.5, 1.5, 1.5, 1.5, 1.5]); // one clock step between t0 and t1
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => i / 7));
  });

  it("keeps sub-millisecond precision", async () => {
    const m = await measure(async () => {}, { warmup: 0, iterations: 1, now: fakeClock(1_234n) });
    expect(m.samplesMs[0]).toBeCloseTo(0.001234, 12);
  });

  it("runs for a duration", async () => {
    // Every read advances 0.1 s; a run spans one step and the loop reads twice per run.
    const m = await measure(async () => {}, { warmup: 1, durationSeconds: 1, now: fakeClock(100_000_000n) });
    expect(m.iterations).toBe(5);
    expect(m.samplesMs.every((s) => s === 100)).toBe(true);
  });

  it("defaults to a duration with a minimum count", async () => {
    const m = await measure(async () => {}, { warmup: 0, now: fakeClock(10_000_000_000n) });
    expect(m.iterations).toBe(DEFAULT_MIN_ITERATIONS);
  });

  it("rejects contradictory or invalid options as usage errors", async () => {
    const fn = async () => {};
    await expect(measure(fn, { warmup: 0, iterations: 3, durationSeconds: 1 })).rejects.toBeInstanceOf(UsageError);
    await expect(measure(fn, { warmup: -1, iterations: 3 })).rejects.toBeInstanceOf(UsageError);
    await expect(measure(fn, { warmup: 0, iterations: 0 })).rejects.toBeInstanceOf(UsageError);
    await expect(measure(fn, { warmup: 0, durationSeconds: 0 })).rejects.toBeInstanceOf(UsageError);
  });
});
