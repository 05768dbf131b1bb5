/**
 * JAX's type promotion (jax/_src/dtypes.py, "standard" mode): the join of the argument types on
 * JAX's lattice, with Python scalars as weak types (`int*`, `float*`). Runtime-neutral (no Node
 * imports): the IR builder, the dtype checks of every op and the browser entry share it.
 * Complex and sub-byte types are left out: nnx-gen has no such dtypes.
 */
import type { DType } from "../tensor.js";

/** A value's type as JAX sees it: its dtype, and whether it is weakly typed (a Python scalar). */
export interface JaxType {
  readonly dtype: DType;
  readonly weak: boolean;
}

type Node = DType | "int*" | "float*";

/** Each node's immediate successors: `_type_promotion_lattice(strict=False, x64)`. */
function lattice(x64: boolean): Record<Node, Node[]> {
  return {
    bool: ["int*"],
    "int*": ["uint8", "int8"],
    uint8: ["int16", "uint16"],
    uint16: ["int32", "uint32"],
    // With x64 off JAX avoids forming a 64-bit type from 32-bit inputs: u32 x i32 -> i32.
    uint32: x64 ? ["int64", "uint64"] : ["int32", "uint64"],
    uint64: ["float*"],
    int8: ["int16"],
    int16: ["int32"],
    int32: ["int64"],
    int64: ["float*"],
    "float*": ["bfloat16", "float16"],
    bfloat16: ["float32"],
    float16: ["float32"],
    float32: ["float64"],
    float64: [],
  };
}

function upperBounds(x64: boolean): Map<Node, Set<Node>> {
  const l = lattice(x64);
  const out = new Map<Node, Set<Node>>();
  for (const n of Object.keys(l) as Node[]) {
    const ub = new Set<Node>([n]);
    const todo: Node[] = [n];
    while (todo.length) for (const m of l[todo.pop()!]) if (!ub.has(m)) (ub.add(m), todo.push(m));
    out.set(n, ub);
  }
  return out;
}

const UB = { x64: upperBounds(true), x32: upperBounds(false) };

function leastUpperBound(nodes: readonly Node[], x64: boolean): Node {
  const ub = x64 ? UB.x64 : UB.x32;
  const n = [...new Set(nodes)];
  let common = new Set(ub.get(n[0]!)!);
  for (const m of n.slice(1)) common = new Set([...common].filter((c) => ub.get(m)!.has(c)));
  const inN = n.filter((m) => common.has(m));
  if (inN.length === 1) return inN[0]!;
  const lub = [...common].filter((c) => [...common].every((d) => ub.get(c)!.has(d)));
  // The lattice without complex types has a top (float64), so a unique join always exists.
  return lub[0]!;
}

/** dtype(weak node): Python int / float at the default precision. */
function defaultDtype(node: "int*" | "float*", x64: boolean): DType {
  if (node === "int*") return x64 ? "int64" : "int32";
  return x64 ? "float64" : "float32";
}

/** With x64 off, 64-bit types canonicalize to 32-bit (`dtypes.canonicalize_dtype`). */
export function canonicalize(d: DType, x64 = false): DType {
  if (x64) return d;
  return d === "int64" ? "int32" : d === "uint64" ? "uint32" : d === "float64" ? "float32" : d;
}

/**
 * `dtypes.lattice_result_type` then `result_type`'s canonicalization: the dtype JAX gives an op
 * on these arguments, and whether the result is weak. x64 is `jax_enable_x64` (default off).
 */
export function resultType(args: readonly JaxType[], x64 = false): JaxType {
  if (args.length === 0) throw new Error("resultType needs at least one argument");
  const node = (t: JaxType): Node => (t.weak ? (t.dtype === "bool" ? "bool" : isFloating(t.dtype) ? "float*" : "int*") : t.dtype);
  let dtype: DType;
  let weak: boolean;
  const dtypes = new Set(args.map((a) => a.dtype));
  if (args.length === 1) {
    dtype = args[0]!.dtype;
    weak = args[0]!.weak;
  } else if (dtypes.size === 1 && !args.every((a) => a.weak)) {
    dtype = args[0]!.dtype;
    weak = false;
  } else if (args.every((a) => a.weak)) {
    // All weak: the join of their strong counterparts, weak again.
    const j = leastUpperBound(args.map((a) => a.dtype), x64);
    dtype = j === "int*" || j === "float*" ? defaultDtype(j, x64) : j;
    weak = true;
  } else {
    const j = leastUpperBound(args.map(node), x64);
    weak = j === "int*" || j === "float*";
    dtype = j === "int*" || j === "float*" ? defaultDtype(j, x64) : j;
  }
  weak = weak && dtype !== "bool";
  // A weak result is a Python scalar type at the default precision.
  if (weak) dtype = defaultDtype(isFloating(dtype) ? "float*" : "int*", x64);
  return { dtype: canonicalize(dtype, x64), weak };
}

/** A Python scalar's JAX type: `2` is a weak int, `2.0` a weak float, `True` a bool. */
export function pythonScalar(kind: "int" | "float" | "bool", x64 = false): JaxType {
  if (kind === "bool") return { dtype: "bool", weak: false };
  return { dtype: defaultDtype(kind === "int" ? "int*" : "float*", x64), weak: true };
}

export function isFloating(d: DType): boolean {
  return d === "float16" || d === "bfloat16" || d === "float32" || d === "float64";
}

export function isInteger(d: DType): boolean {
  return d.startsWith("int") || d.startsWith("uint");
}

/**
 * `promote_args_inexact`'s dtype: the promoted type, or the default float when that is not
 * floating (bool and integers go to float32, as `jnp.exp(int_array)`).
 */
export function inexact(t: JaxType, x64 = false): JaxType {
  return isFloating(t.dtype) ? t : { dtype: defaultDtype("float*", x64), weak: t.weak };
}
