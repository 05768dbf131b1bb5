/**
 * Einsum equations as jnp.einsum / opt_einsum read them: spaces removed, `...` expanded to
 * unused letters right-aligned across operands, explicit `->` output. Shared by the Einsum
 * layer and the stateless `einsum` op.
 */
import { Expr, product, type Shape } from "../shapes/expr.js";
import type { LayerContext } from "./kind.js";

export interface ParsedEinsum {
  /** The equation with spaces removed and every `...` expanded. */
  expanded: string;
  operands: string[];
  output: string;
  /** Size of every index letter. */
  sizes: Map<string, Expr>;
  /** Sizes of one index that are equal only for some symbol values: checked against `dims`. */
  equalities: { index: string; operand: number; a: Expr; b: Expr }[];
  /**
   * Per operand, the axes of size 1 whose index is larger elsewhere. jnp.einsum broadcasts
   * them (filter_singleton_dims in jax/_src/numpy/einsum.py squeezes them out before the
   * contraction), so lowering squeezes them and drops their letter from that operand.
   */
  broadcast: number[][];
}

export type EinsumProblem = { code: string; message: string; hint?: string };

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Structural checks that need no shapes (Flax checks these in Einsum's constructor). */
export function einsumStructure(equation: string, operandCount?: number): EinsumProblem | undefined {
  const eq = equation.replace(/ /g, "");
  if (!eq.includes("->")) return { code: "NNX2013", message: 'einsum equation must be explicit and include "->"', hint: `for example "${eq},...->..."` };
  if (eq.split("->").length !== 2) return { code: "NNX2036", message: "einsum equation can only contain one '->'" };
  if (operandCount !== undefined) {
    const commas = eq.split("->")[0]!.split(",").length - 1;
    if (commas !== operandCount - 1) {
      return operandCount === 2
        ? { code: "NNX2014", message: `Einsum equation must have exactly two operands and therefore exactly one comma, instead of ${commas}` }
        : { code: "NNX2015", message: `equation has ${commas + 1} operands but ${operandCount} inputs are given` };
    }
  }
  for (const ch of eq.replace("->", "").replace(/,/g, "")) {
    if (ch !== "." && !LETTERS.includes(ch)) return { code: "NNX2036", message: `character "${ch}" is not a valid einsum subscript`, hint: "subscripts are letters a-z, A-Z and one ... per operand" };
  }
  return undefined;
}

/** Parse against operand shapes; returns a problem instead when they do not fit. */
export function parseEinsum(equation: string, shapes: readonly Shape[]): ParsedEinsum | EinsumProblem {
  const eq = equation.replace(/ /g, "");
  const structural = einsumStructure(eq);
  if (structural) return structural;
  const [lhs, out] = eq.split("->") as [string, string];
  const subs = lhs.split(",");
  if (subs.length !== shapes.length) return { code: "NNX2015", message: `equation has ${subs.length} operands but ${shapes.length} are given` };
  const used = new Set(eq.replace(/[.,>-]/g, ""));
  const longestRank = Math.max(0, ...shapes.map((s) => s.length));
  const unused = [...LETTERS].filter((c) => !used.has(c)).slice(0, longestRank).join("");
  let longest = 0;
  const operands: string[] = [];
  for (const [i, sub] of subs.entries()) {
    const rank = shapes[i]!.length;
    if (sub.includes(".")) {
      if (sub.split(".").length - 1 !== 3 || !sub.includes("...")) return { code: "NNX2036", message: `operand ${i} "${sub}" has an invalid ellipsis` };
      const count = rank === 0 ? 0 : Math.max(rank, 1) - (sub.length - 3);
      if (count < 0) return { code: "NNX2015", message: `operand ${i} "${sub}" has more subscripts than its rank ${rank}` };
      longest = Math.max(longest, count);
      operands.push(sub.replace("...", count === 0 ? "" : unused.slice(unused.length - count)));
    } else operands.push(sub);
  }
  if (out.includes(".") && (out.split(".").length - 1 !== 3 || !out.includes("..."))) return { code: "NNX2036", message: `output "${out}" has an invalid ellipsis` };
  const output = out.replace("...", longest === 0 ? "" : unused.slice(unused.length - longest));
  const sizes = new Map<string, Expr>();
  const equalities: ParsedEinsum["equalities"] = [];
  for (const [i, sub] of operands.entries()) {
    const shape = shapes[i]!;
    if (sub.length !== shape.length) {
      return { code: "NNX2015", message: `operand ${i} has subscripts "${subs[i]}" (${sub.length} axes) but rank ${shape.length} (shape [${shape.map(String).join(", ")}])` };
    }
    for (const [j, ch] of [...sub].entries()) {
      const d = shape[j]!;
      const prev = sizes.get(ch);
      if (prev && !prev.equals(d)) {
        // A size of 1 broadcasts against any other size, as in jnp.einsum.
        if (d.constant === 1) continue;
        if (prev.constant === 1) {
          sizes.set(ch, d);
          continue;
        }
        if (prev.isConst && d.isConst) return { code: "NNX2016", message: `index "${ch}" has size ${prev.toString()} in one place and ${d.toString()} in operand ${i}` };
        equalities.push({ index: ch, operand: i, a: prev, b: d });
        continue;
      }
      sizes.set(ch, d);
    }
  }
  for (const ch of output) {
    if (!sizes.has(ch)) return { code: "NNX2036", message: `output index "${ch}" does not appear in any operand` };
  }
  if (new Set(output).size !== output.length) return { code: "NNX2036", message: `output "${out}" repeats an index` };
  const broadcast = operands.map((sub, i) => [...sub].flatMap((ch, j) => (shapes[i]![j]!.constant === 1 && sizes.get(ch)!.constant !== 1 ? [j] : [])));
  return { expanded: `${operands.join(",")}->${output}`, operands, output, sizes, equalities, broadcast };
}

/** The equation with every broadcast (size-1) axis's letter dropped from its operand. */
export function squeezedEquation(expanded: string, broadcast: readonly (readonly number[])[]): string {
  const [lhs, out] = expanded.split("->") as [string, string];
  const subs = lhs.split(",").map((sub, i) => [...sub].filter((_, j) => !broadcast[i]?.includes(j)).join(""));
  return `${subs.join(",")}->${out}`;
}

export function isProblem(p: ParsedEinsum | EinsumProblem): p is EinsumProblem {
  return "code" in p;
}

/** Check the symbolic size equalities against `dims`: false after an error. */
export function checkEqualities(ctx: LayerContext, p: ParsedEinsum, field: string): boolean {
  return p.equalities.every(({ index, operand, a, b }) =>
    ctx.require([a, b], ([x, y]) => x !== y, "NNX2016", field, (v) => `index "${index}" has size ${a.toString()} in one place and ${b.toString()} in operand ${operand}${v === "some" ? "; they must be equal" : ""}`),
  );
}

export function einsumOutputShape(p: ParsedEinsum): Expr[] {
  return [...p.output].map((c) => p.sizes.get(c)!);
}

/** One multiply-accumulate per combination of all distinct indices. */
export function einsumMacs(p: ParsedEinsum): Expr {
  return product([...p.sizes.values()]);
}
