import { describe, expect, it } from "vitest";
import { GraphBuilder } from "../../src/runtime/onnx/graph.js";
import { astype, expm1, log1p, softplus } from "../../src/runtime/onnx/ops_elementwise.js";
import { tensor, type Tensor } from "../../src/tensor.js";
import { runY } from "./helpers.js";

async function unary(xs: number[], f: (g: GraphBuilder, x: string) => string, outDtype: "float32" | "int32" | "bool" = "float32"): Promise<number[]> {
  const g = new GraphBuilder();
  g.output(f(g, g.input("x", "float32", [xs.length])), "y", outDtype, [xs.length]);
  const y: Tensor = await runY(g, { x: tensor("float32", [xs.length], Float32Array.from(xs)) });
  return Array.from(y.data as ArrayLike<number>, Number);
}

/** Float32 inputs spanning tiny to large magnitudes, both signs. */
const SPAN = [0, -0, 1e-30, -1e-30, 1e-8, -1e-8, 1e-5, -1e-5, 3e-3, -3e-3, 0.009, -0.009, 0.3, -0.3, 0.7, -0.7, 1, -1, 5, -5, 20, -20, 80, -80].map(Math.fround);

/** |got - want| within `ulps` units in the last place of float32 at want. */
function expectUlps(got: number[], want: number[], ulps: number): void {
  got.forEach((g, i) => {
    const w = want[i]!;
    if (Number.isNaN(w)) return void expect(g).toBeNaN();
    if (!Number.isFinite(w)) return void expect(g).toBe(w);
    const ulp = Math.max(2 ** -149, 2 ** (Math.floor(Math.log2(Math.abs(w) || 2 ** -149)) - 23));
    expect(Math.abs(g - w) / ulp, `element ${i}: got ${g}, want ${w}`).toBeLessThanOrEqual(ulps);
  });
}

describe("elementwise building blocks", () => {
  it("expm1 is within 4 ulps from 1e-30 to 80, and exact at 0, -inf and +inf", async () => {
    const xs = [...SPAN, -Infinity, Infinity, 100];
    expectUlps(await unary(xs, expm1), xs.map((x) => Math.fround(Math.expm1(x))), 4);
  });

  it("log1p is within 4 ulps on (-1, 80]", async () => {
    const xs = SPAN.filter((x) => x > -1).concat([-0.999, -1e-7].map(Math.fround));
    expectUlps(await unary(xs, log1p), xs.map(Math.log1p), 4);
  });

  it("softplus is logaddexp(x, 0): within 4 ulps, tiny for very negative x, NaN kept", async () => {
    const xs = [...SPAN, -100, NaN, Infinity, -Infinity];
    const want = xs.map((x) => (Number.isNaN(x) ? NaN : Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)))));
    expectUlps(await unary(xs, softplus), want, 4);
  });

  it("astype float32 -> int32 truncates toward zero, saturates and maps NaN to 0", async () => {
    const xs = [1.9, -1.9, 3e9, -3e9, NaN, Infinity, -Infinity, 2147483520, -2147483648];
    expect(await unary(xs, (g, x) => astype(g, x, "float32", "int32"), "int32")).toEqual([1, -1, 2147483647, -2147483648, 0, 2147483647, -2147483648, 2147483520, -2147483648]);
  });
});
