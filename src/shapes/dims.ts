/**
 * Rules that depend on a symbol's value are decided against the `dims` constraints:
 * "never" fails for no allowed value, "some" for some (a warning), "all" for every one
 * (an error). Values are sampled: the bounds, small sizes and powers of two, which is where
 * shape rules (divisibility, emptiness, equality) change their answer.
 */
import type { DimConstraint } from "../ir/model.js";
import type { Expr } from "./expr.js";
import { nameRecord } from "../util/names.js";

export type Verdict = "never" | "some" | "all";

/** Upper bound used for sampling a dim that has no `max`. */
const UNBOUNDED = 1 << 20;
const MAX_COMBINATIONS = 4096;

export class DimTable {
  constructor(private readonly constraints: Readonly<Record<string, DimConstraint>>) {}

  /** Whether the model's inputs use this symbol. */
  has(sym: string): boolean {
    return Object.hasOwn(this.constraints, sym);
  }

  bounds(sym: string): { min: number; max: number } {
    const c = this.constraints[sym];
    return { min: c?.min ?? 1, max: c?.max ?? UNBOUNDED };
  }

  private readonly sampleCache = new Map<string, number[]>();

  samples(sym: string): number[] {
    const cached = this.sampleCache.get(sym);
    if (cached) return cached;
    const { min, max } = this.bounds(sym);
    const vals = new Set<number>([min, max]);
    for (let v = min; v <= Math.min(max, min + 8); v++) vals.add(v);
    for (let p = 1; p <= max; p *= 2) {
      if (p >= min) vals.add(p);
      if (p * 3 >= min && p * 3 <= max) vals.add(p * 3);
    }
    for (const v of [10, 100, 1000, 4095, 4097]) if (v >= min && v <= max) vals.add(v);
    const out = [...vals].sort((a, b) => a - b);
    this.sampleCache.set(sym, out);
    return out;
  }

  /** How often `fails(values)` holds over the allowed values of the symbols in `exprs`. */
  verdict(exprs: readonly Expr[], fails: (values: number[]) => boolean): Verdict {
    const syms = [...new Set(exprs.flatMap((e) => e.symbols()))].sort();
    const grids = syms.map((s) => this.samples(s));
    let failed = 0;
    let total = 0;
    for (const env of combinations(syms, grids)) {
      total++;
      let bad: boolean;
      try {
        bad = fails(exprs.map((e) => e.evaluate(env)));
      } catch {
        bad = true;
      }
      if (bad) failed++;
    }
    return failed === 0 ? "never" : failed === total ? "all" : "some";
  }

  /** The allowed values of a symbol, as text for messages. */
  describe(sym: string): string {
    const { min, max } = this.bounds(sym);
    return max === UNBOUNDED ? `${sym} >= ${min}` : `${min} <= ${sym} <= ${max}`;
  }
}

function* combinations(syms: string[], grids: number[][]): Generator<Record<string, number>> {
  const total = grids.reduce((n, g) => n * g.length, 1);
  if (total <= MAX_COMBINATIONS) {
    const idx = syms.map(() => 0);
    for (let n = 0; n < total; n++) {
      const env = nameRecord<number>();
      syms.forEach((s, i) => (env[s] = grids[i]![idx[i]!]!));
      yield env;
      for (let i = 0; i < idx.length; i++) {
        idx[i]!++;
        if (idx[i]! < grids[i]!.length) break;
        idx[i] = 0;
      }
    }
    return;
  }
  // Many symbols: the all-min and all-max corners plus a deterministic spread of mixtures.
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let n = 0; n < MAX_COMBINATIONS; n++) {
    const env = nameRecord<number>();
    syms.forEach((s, i) => {
      const g = grids[i]!;
      env[s] = n === 0 ? g[0]! : n === 1 ? g[g.length - 1]! : g[next() % g.length]!;
    });
    yield env;
  }
}
