/** Symbolic dimension expressions (printing, simplification, evaluation) and DimTable verdicts. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DimTable } from "../../src/shapes/dims.js";
import { Expr, product, pyMod, shapeJSON, shapesEqual, shapeText, staticShape, toExpr } from "../../src/shapes/expr.js";

const seq = Expr.sym("seq");
const batch = Expr.sym("batch");
const x = Expr.sym("x");
const h = Expr.sym("h");
const w = Expr.sym("w");

describe("printing, as Python (jax.export) would", () => {
  it.each([
    ["ceil division by a stride", () => seq.ceildiv(2), "(seq + 1) // 2"],
    ["(seq + 1) // 2 written out", () => seq.add(1).floordiv(2), "(seq + 1) // 2"],
    ["linear with a negative constant", () => seq.mul(2).sub(3), "2*seq - 3"],
    ["a product of symbols", () => batch.mul(seq), "batch*seq"],
    ["a product in the other order", () => seq.mul(batch), "batch*seq"],
    ["a constant times a product", () => batch.mul(seq).mul(4096), "4096*batch*seq"],
    ["a power", () => seq.mul(seq).mul(batch).mul(128), "128*batch*seq**2"],
    ["highest degree first", () => batch.mul(seq).mul(640).add(batch.mul(seq).mul(seq).mul(128)), "128*batch*seq**2 + 640*batch*seq"],
    ["a negated symbol", () => seq.neg(), "-seq"],
    ["a negative leading term", () => Expr.const(5).sub(seq), "-seq + 5"],
    ["VALID conv output", () => h.sub(3).floordiv(1).add(1), "h - 2"],
    ["strided VALID conv output", () => h.sub(3).floordiv(2).add(1), "(h - 3) // 2 + 1"],
    ["nested ceil divisions", () => seq.ceildiv(2).ceildiv(2), "((seq + 1) // 2 + 1) // 2"],
    ["a floor division times a constant", () => seq.floordiv(2).mul(2), "2*(seq // 2)"],
    ["a product with a floor division", () => batch.mul(seq.ceildiv(2)), "batch*((seq + 1) // 2)"],
    ["a modulo", () => seq.mod(2), "seq % 2"],
    ["a floor division by a symbol", () => seq.floordiv(batch), "seq // batch"],
    ["zero", () => seq.sub(seq), "0"],
    ["a negative constant", () => Expr.const(-3), "-3"],
  ])("%s", (_name, make, text) => {
    expect(make().toString()).toBe(text);
  });

  it("JSON: numbers for constants, expression strings otherwise", () => {
    expect(Expr.const(3136).toJSON()).toBe(3136);
    expect(batch.mul(3136).toJSON()).toBe("3136*batch");
    expect(shapeJSON([batch, Expr.const(28), seq.ceildiv(2)])).toEqual(["batch", 28, "(seq + 1) // 2"]);
    expect(shapeText([batch, Expr.const(28), seq.ceildiv(2)])).toBe("[batch, 28, (seq + 1) // 2]");
    expect(JSON.stringify({ macs: batch.mul(10) })).toBe('{"macs":"10*batch"}');
  });
});

describe("simplification", () => {
  it("(3136*batch) // batch = 3136", () => {
    const e = batch.mul(3136).floordiv(batch);
    expect(e.constant).toBe(3136);
    expect(e.toString()).toBe("3136");
  });

  it("(4*x + 6) // 2 = 2*x + 3", () => {
    const e = x.mul(4).add(6).floordiv(2);
    expect(e.toString()).toBe("2*x + 3");
    expect(e.equals(x.mul(2).add(3))).toBe(true);
  });

  it("(4*x + 7) // 2 = 2*x + 3 (the constant part floors)", () => {
    expect(x.mul(4).add(7).floordiv(2).toString()).toBe("2*x + 3");
    expect(x.mul(4).sub(1).floordiv(2).toString()).toBe("2*x - 1");
  });

  it("(4*x + 6) % 2 = 0 and (4*x + 7) % 2 = 1", () => {
    expect(x.mul(4).add(6).mod(2).constant).toBe(0);
    expect(x.mul(4).add(7).mod(2).constant).toBe(1);
  });

  it("ceil division by 1 is the identity; by a divisor of every coefficient it is exact", () => {
    expect(seq.ceildiv(1).equals(seq)).toBe(true);
    expect(seq.mul(4).ceildiv(2).toString()).toBe("2*seq");
    expect(seq.mul(4).add(1).ceildiv(2).toString()).toBe("2*seq + 1");
  });

  it("exact division by a monomial", () => {
    expect(batch.mul(seq).mul(64).floordiv(batch.mul(seq)).constant).toBe(64);
    expect(batch.mul(seq).mul(64).floordiv(seq.mul(16)).toString()).toBe("4*batch");
    // Not exact: kept as a floor division.
    expect(batch.mul(seq).floordiv(batch.mul(2)).isConst).toBe(false);
  });

  it("constants fold with Python semantics", () => {
    expect(Expr.const(7).floordiv(2).constant).toBe(3);
    expect(Expr.const(-7).floordiv(2).constant).toBe(-4);
    expect(Expr.const(-7).mod(2).constant).toBe(1);
    expect(Expr.const(7).mod(-2).constant).toBe(-1);
    expect(pyMod(-1, 3)).toBe(2);
  });

  it("canonical form: equal expressions are equal whatever the order they were built in", () => {
    const a = x.mul(2).add(3).mul(batch);
    const b = batch.mul(3).add(batch.mul(x).mul(2));
    expect(a.equals(b)).toBe(true);
    expect(a.key).toBe(b.key);
    expect(a.toString()).toBe(b.toString());
    expect(seq.add(1).sub(1).equals(seq)).toBe(true);
    expect(seq.ceildiv(2).equals(seq.add(1).floordiv(2))).toBe(true);
  });

  it("division by zero is refused", () => {
    expect(() => seq.floordiv(0)).toThrow(RangeError);
    expect(() => seq.mod(0)).toThrow(RangeError);
    expect(() => seq.ceildiv(0)).toThrow(RangeError);
  });

  it("only safe integers become constants", () => {
    expect(() => Expr.const(2 ** 53)).toThrow(RangeError);
    expect(() => Expr.const(1.5)).toThrow(RangeError);
    expect(Expr.const(2 ** 53 - 1).constant).toBe(2 ** 53 - 1);
  });
});

describe("evaluation and substitution", () => {
  it("evaluates with every symbol bound", () => {
    expect(seq.ceildiv(2).evaluate({ seq: 7 })).toBe(4);
    expect(seq.ceildiv(2).evaluate({ seq: 8 })).toBe(4);
    expect(h.sub(3).floordiv(2).add(1).evaluate({ h: 2 })).toBe(0);
    expect(h.sub(10).floordiv(3).evaluate({ h: 1 })).toBe(-3); // floor, not truncation
    expect(seq.mod(-2).evaluate({ seq: 3 })).toBe(-1);
    expect(batch.mul(seq).mul(seq).mul(128).evaluate({ batch: 2, seq: 10 })).toBe(25600);
  });

  it("throws for a missing symbol", () => {
    expect(() => seq.add(batch).evaluate({ seq: 1 })).toThrow(/batch/);
  });

  it("substitutes some symbols and keeps the others", () => {
    expect(batch.mul(seq).mul(1310720).substitute({ batch: 2 }).toString()).toBe("2621440*seq");
    expect(seq.ceildiv(2).substitute({ seq: 7 }).constant).toBe(4);
    expect(batch.mul(seq.ceildiv(2)).substitute({ seq: 9 }).toString()).toBe("5*batch");
    expect(seq.floordiv(batch).substitute({ batch: 1 }).equals(seq)).toBe(true);
  });

  it("symbols() lists every symbol, inside divisions too", () => {
    expect(batch.mul(seq.add(x).ceildiv(2)).symbols()).toEqual(["batch", "seq", "x"]);
    expect(Expr.const(4).symbols()).toEqual([]);
  });

  it("shape helpers", () => {
    const shape = [batch, Expr.const(7), Expr.const(64)];
    expect(product(shape).toString()).toBe("448*batch");
    expect(staticShape(shape)).toBeUndefined();
    expect(staticShape([Expr.const(2), Expr.const(3)])).toEqual([2, 3]);
    expect(shapesEqual(shape, [toExpr("batch"), toExpr(7), toExpr(64)])).toBe(true);
    expect(shapesEqual(shape, [batch, Expr.const(7)])).toBe(false);
  });

  /** An arbitrary expression together with its meaning as a function of (a, b). */
  type Built = { e: Expr; f: (a: number, b: number) => number };
  const leaf: fc.Arbitrary<Built> = fc.oneof(
    fc.integer({ min: -20, max: 20 }).map((c) => ({ e: Expr.const(c), f: () => c })),
    fc.constant({ e: Expr.sym("a"), f: (a: number) => a }),
    fc.constant({ e: Expr.sym("b"), f: (_a: number, b: number) => b }),
  );
  const tree: fc.Arbitrary<Built> = fc.letrec<{ node: Built }>((tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.tuple(tie("node"), tie("node")).map(([p, q]) => ({ e: p.e.add(q.e), f: (a: number, b: number) => p.f(a, b) + q.f(a, b) })),
      fc.tuple(tie("node"), tie("node")).map(([p, q]) => ({ e: p.e.sub(q.e), f: (a: number, b: number) => p.f(a, b) - q.f(a, b) })),
      fc.tuple(tie("node"), tie("node")).map(([p, q]) => ({ e: p.e.mul(q.e), f: (a: number, b: number) => p.f(a, b) * q.f(a, b) })),
      fc.tuple(tie("node"), fc.integer({ min: 1, max: 6 })).map(([p, d]) => ({ e: p.e.floordiv(d), f: (a: number, b: number) => Math.floor(p.f(a, b) / d) })),
      fc.tuple(tie("node"), fc.integer({ min: 1, max: 6 })).map(([p, d]) => ({ e: p.e.ceildiv(d), f: (a: number, b: number) => Math.ceil(p.f(a, b) / d) })),
      fc.tuple(tie("node"), fc.integer({ min: 1, max: 6 })).map(([p, d]) => ({ e: p.e.mod(d), f: (a: number, b: number) => pyMod(p.f(a, b), d) })),
    ),
  })).node;

  it("property: simplification never changes the value", () => {
    fc.assert(
      fc.property(tree, fc.integer({ min: -30, max: 30 }), fc.integer({ min: -30, max: 30 }), (t, a, b) => {
        const want = t.f(a, b) + 0; // + 0 turns -0 into 0
        if (!Number.isSafeInteger(want)) return;
        expect(t.e.evaluate({ a, b }) + 0).toBe(want);
        expect(t.e.substitute({ a, b }).constant! + 0).toBe(want);
        expect(t.e.substitute({ a }).evaluate({ b }) + 0).toBe(want);
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it("property: equal keys mean equal values", () => {
    fc.assert(
      fc.property(tree, tree, fc.integer({ min: -30, max: 30 }), fc.integer({ min: -30, max: 30 }), (p, q, a, b) => {
        if (p.e.equals(q.e)) expect(p.f(a, b) + 0).toBe(q.f(a, b) + 0);
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});

describe("DimTable verdicts", () => {
  const table = new DimTable({ batch: { min: 1, max: 4096 }, h: { min: 1 }, seq: { min: 8, max: 512 }, w: { min: 3 } });
  const validOut = (n: Expr, k: number) => n.sub(k).floordiv(1).add(1);

  it("never: the rule holds for every allowed value", () => {
    expect(table.verdict([validOut(seq, 3)], ([v]) => v! < 1)).toBe("never");
    expect(table.verdict([validOut(w, 3)], ([v]) => v! < 1)).toBe("never");
  });

  it("some: a VALID 3-wide conv is empty when h < 3 and h may be 1 or 2", () => {
    expect(table.verdict([validOut(h, 3)], ([v]) => v! < 1)).toBe("some");
  });

  it("all: the rule fails for every allowed value", () => {
    expect(table.verdict([validOut(seq, 600)], ([v]) => v! < 1)).toBe("all");
    expect(table.verdict([Expr.const(2).sub(3)], ([v]) => v! < 1)).toBe("all");
  });

  it("a rule over constants is all or never", () => {
    expect(table.verdict([Expr.const(4)], ([v]) => v !== 4)).toBe("never");
    expect(table.verdict([Expr.const(5)], ([v]) => v !== 4)).toBe("all");
  });

  it("divisibility depends on the value: some", () => {
    expect(table.verdict([seq], ([v]) => v! % 2 !== 0)).toBe("some");
    expect(table.verdict([seq.mul(2)], ([v]) => v! % 2 !== 0)).toBe("never");
  });

  it("equality with a constant inside the range: some; outside: all", () => {
    expect(table.verdict([seq], ([v]) => v !== 16)).toBe("some");
    expect(table.verdict([seq], ([v]) => v !== 4)).toBe("all");
    expect(table.verdict([seq], ([v]) => v !== 1000)).toBe("all");
  });

  it("bounds are sampled: the min and the max are both tried", () => {
    expect(table.verdict([seq], ([v]) => v === 8)).toBe("some");
    expect(table.verdict([seq], ([v]) => v === 512)).toBe("some");
    expect(table.verdict([seq], ([v]) => v! > 512 || v! < 8)).toBe("never");
    expect(table.samples("seq")[0]).toBe(8);
    expect(table.samples("seq").at(-1)).toBe(512);
    for (const v of table.samples("h")) expect(v).toBeGreaterThanOrEqual(1);
  });

  it("several symbols are combined", () => {
    expect(table.verdict([seq, batch], ([s, b]) => s! * b! > 512 * 4096)).toBe("never");
    expect(table.verdict([seq, batch], ([s, b]) => s === b)).toBe("some");
    expect(table.verdict([seq.sub(batch)], ([v]) => v! < 0)).toBe("some");
  });

  it("an evaluation that throws counts as a failure", () => {
    expect(table.verdict([seq.floordiv(h.sub(1))], () => false)).toBe("some");
  });

  it("unconstrained symbols default to min 1 and no max", () => {
    const t = new DimTable({});
    expect(t.bounds("n")).toEqual({ min: 1, max: expect.any(Number) });
    expect(t.describe("n")).toBe("n >= 1");
    expect(table.describe("seq")).toBe("8 <= seq <= 512");
    expect(t.verdict([Expr.sym("n").sub(2)], ([v]) => v! < 1)).toBe("some");
  });

  it("a min of 0 makes emptiness possible", () => {
    const t = new DimTable({ n: { min: 0, max: 10 } });
    expect(t.verdict([Expr.sym("n")], ([v]) => v === 0)).toBe("some");
  });
});

describe("lowerBound", () => {
  const h = Expr.sym("h");
  const w = Expr.sym("w");
  it("bounds sums, products and floor divisions that grow with every symbol", () => {
    const mins = { h: 8, w: 3 };
    expect(h.lowerBound(mins)).toBe(8);
    expect(h.ceildiv(2).lowerBound(mins)).toBe(4);
    expect(h.sub(4).floordiv(2).add(1).lowerBound(mins)).toBe(3);
    expect(h.mul(w).add(2).lowerBound(mins)).toBe(26);
    expect(h.ceildiv(2).ceildiv(2).lowerBound(mins)).toBe(2);
    expect(Expr.const(5).lowerBound({})).toBe(5);
    expect(h.lowerBound({})).toBe(0); // no `dims` entry: the size may be 0
  });
  it("declines what it cannot bound simply", () => {
    expect(h.sub(w).lowerBound({ h: 8, w: 3 })).toBeUndefined();
    expect(h.mod(3).lowerBound({ h: 8 })).toBeUndefined();
    expect(h.floordiv(w).lowerBound({ h: 8, w: 1 })).toBeUndefined();
  });
});


describe("min and max (clamped slice bounds)", () => {
  it.each([
    ["min of a symbol and a constant, printed as Python", () => seq.min(16), "min(seq, 16)"],
    ["one canonical order", () => Expr.const(16).min(seq), "min(seq, 16)"],
    ["folded when the difference has one sign", () => seq.min(seq.add(2)), "seq"],
    ["max with 0 of a size is the size", () => seq.max(0), "seq"],
    ["not folded without the dims minimum", () => seq.sub(2).max(0), "max(seq - 2, 0)"],
    ["folded with it", () => seq.sub(2).max(0, { seq: 2 }), "seq - 2"],
    ["an operand of floor division needs no parentheses", () => seq.min(16).floordiv(2), "min(seq, 16) // 2"],
    ["a factor", () => seq.min(16).mul(3), "3*min(seq, 16)"],
  ])("%s", (_, make, text) => {
    expect(make().toString()).toBe(text);
  });
  it("evaluates, substitutes and bounds", () => {
    expect(seq.min(16).evaluate({ seq: 5 })).toBe(5);
    expect(seq.min(16).evaluate({ seq: 50 })).toBe(16);
    expect(seq.sub(2).max(0).evaluate({ seq: 1 })).toBe(0);
    expect(seq.min(16).substitute({ seq: 20 }).constant).toBe(16);
    expect(seq.min(16).equals(Expr.const(16).min(seq))).toBe(true);
    expect(seq.min(16).lowerBound({ seq: 3 })).toBe(3);
    expect(seq.sub(2).max(0).lowerBound({})).toBe(0);
  });
});

describe("bounds through min", () => {
  it("a constant caps min(a, k), so k - min(a, k) is never negative", () => {
    expect(Expr.const(8).sub(seq.min(8)).lowerBound({})).toBe(0);
    expect(Expr.const(8).sub(seq.min(8)).max(0).toString()).toBe("-min(seq, 8) + 8");
    expect(Expr.const(8).sub(seq.min(h)).lowerBound({})).toBeUndefined();
  });
});
