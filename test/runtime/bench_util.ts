/** Timing for the measurement scripts: variants run in interleaved rounds, so load drifts hit all alike. */

export interface Variant {
  readonly name: string;
  run(): Promise<unknown>;
}

export interface Timing {
  readonly name: string;
  readonly median: number;
  readonly min: number;
}

/** Warm each variant up, then `rounds` rounds of `perRound` timed runs each; times in ms. */
export async function interleaved(variants: readonly Variant[], rounds: number, perRound: number, warmup = 5): Promise<Timing[]> {
  const times = variants.map(() => [] as number[]);
  for (const v of variants) for (let i = 0; i < warmup; i++) await v.run();
  for (let round = 0; round < rounds; round++) {
    for (const [k, v] of variants.entries()) {
      for (let i = 0; i < perRound; i++) {
        const t0 = process.hrtime.bigint();
        await v.run();
        times[k]!.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }
  }
  return variants.map((v, k) => {
    const t = times[k]!.sort((a, b) => a - b);
    return { name: v.name, median: t[t.length >> 1]!, min: t[0]! };
  });
}
