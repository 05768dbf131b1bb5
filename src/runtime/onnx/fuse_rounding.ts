/**
 * BuildOptions.roundingOp: each bfloat16 rounding (rounding.ts), Cast(to=BFLOAT16) -> Cast(to=FLOAT),
 * becomes one node of nnx-gen's native binding, nnx_gen.rounding:RoundBFloat16 (native/nnx_ort.c),
 * which gives the same bits in one pass. onnxruntime's float -> bfloat16 Cast is a scalar loop:
 * the pair cost a bfloat16 CNN more than its bias adds and activations together (BENCHMARKS.md).
 * Only for that binding, which registers the op; exported and web graphs keep the Casts.
 */
import type { NodeDef, ValueInfoDef } from "./proto.js";

export const ROUNDING_DOMAIN = "nnx_gen.rounding";
const FLOAT = 1;
const BFLOAT16 = 16;

/** How often each value is read: by a node, a branch's node, or as a graph output. */
export function readerCounts(nodes: readonly NodeDef[], outputs: readonly ValueInfoDef[]): Map<string, number> {
  const readers = new Map<string, number>();
  const read = (n: NodeDef): void => {
    for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
    for (const a of Object.values(n.attrs ?? {})) if (a.kind === "graph") a.value.nodes.forEach(read);
  };
  nodes.forEach(read);
  for (const o of outputs) readers.set(o.name, (readers.get(o.name) ?? 0) + 1);
  return readers;
}

const castTo = (n: NodeDef, to: number): boolean => n.op === "Cast" && !n.domain && n.attrs?.["to"]?.kind === "int" && n.attrs["to"].value === to;

/**
 * The rewritten nodes, and whether any pair was replaced. `vectors`: the rank-1 float32
 * initializers (biases), for RoundAddBFloat16.
 */
export function fuseRounding(nodes: readonly NodeDef[], outputs: readonly ValueInfoDef[], vectors: ReadonlySet<string> = new Set()): { nodes: NodeDef[]; fused: boolean } {
  const readers = readerCounts(nodes, outputs);
  // The narrowing Casts whose one reader is a widening Cast: the pair is one rounding.
  const narrow = new Map<string, string>();
  for (const n of nodes) if (castTo(n, BFLOAT16) && readers.get(n.outputs[0]!) === 1) narrow.set(n.outputs[0]!, n.inputs[0]!);
  const pairs = new Set(nodes.filter((n) => castTo(n, FLOAT) && narrow.has(n.inputs[0]!)).map((n) => n.inputs[0]!));
  if (pairs.size === 0) return { nodes: [...nodes], fused: false };
  const out: NodeDef[] = [];
  for (const n of nodes) {
    if (castTo(n, BFLOAT16) && pairs.has(n.outputs[0]!)) continue;
    if (castTo(n, FLOAT) && pairs.has(n.inputs[0]!)) {
      out.push({ op: "RoundBFloat16", domain: ROUNDING_DOMAIN, inputs: [narrow.get(n.inputs[0]!)!], outputs: n.outputs, ...(n.name !== undefined ? { name: n.name } : {}) });
      continue;
    }
    out.push(n);
  }
  transposeFirst(out, readers);
  return { nodes: roundAdd(out, readers, vectors), fused: true };
}

const isRound = (n: NodeDef | undefined): n is NodeDef => n?.op === "RoundBFloat16" && n.domain === ROUNDING_DOMAIN;

/**
 * Round(x) -> Add(., b) -> Round, b a bias vector, becomes RoundAddBFloat16(x, b): what a 16-bit
 * Linear or Conv does after its dot (JAX rounds the dot, then the bias add), in one pass
 * instead of three; with a Relu after it, RoundAddReluBFloat16. Each intermediate must have no
 * other reader.
 */
function roundAdd(nodes: readonly NodeDef[], readers: ReadonlyMap<string, number>, vectors: ReadonlySet<string>): NodeDef[] {
  const producer = new Map<string, NodeDef>();
  for (const n of nodes) for (const o of n.outputs) producer.set(o, n);
  const gone = new Set<NodeDef>();
  const replaced = new Map<NodeDef, NodeDef>();
  for (const r2 of nodes) {
    if (!isRound(r2)) continue;
    const add = producer.get(r2.inputs[0]!);
    if (!add || add.op !== "Add" || add.domain || readers.get(add.outputs[0]!) !== 1) continue;
    const k = add.inputs.findIndex((i) => isRound(producer.get(i)) && readers.get(i) === 1);
    const bias = add.inputs[1 - k];
    if (k < 0 || bias === undefined || !vectors.has(bias)) continue;
    const r1 = producer.get(add.inputs[k]!)!;
    if (gone.has(r1) || replaced.has(r1)) continue;
    gone.add(r1).add(add);
    replaced.set(r2, { op: "RoundAddBFloat16", domain: ROUNDING_DOMAIN, inputs: [r1.inputs[0]!, bias], outputs: r2.outputs, ...(r2.name !== undefined ? { name: r2.name } : {}) });
  }
  const fused = nodes.filter((n) => !gone.has(n)).map((n) => replaced.get(n) ?? n);
  // A Relu reading only that result (a Conv's or Linear's activation) joins the same pass.
  const made = new Map<string, number>();
  fused.forEach((n, i) => n.op === "RoundAddBFloat16" && made.set(n.outputs[0]!, i));
  const out: NodeDef[] = [];
  const dropped = new Set<NodeDef>();
  for (const n of fused) {
    const i = n.op === "Relu" && !n.domain ? made.get(n.inputs[0]!) : undefined;
    if (i === undefined || readers.get(n.inputs[0]!) !== 1) {
      out.push(n);
      continue;
    }
    const r = fused[i]!;
    dropped.add(r);
    out.push({ ...r, op: "RoundAddReluBFloat16", outputs: n.outputs });
  }
  // The Relu sits after its RoundAdd: the merged node in its place keeps the order topological.
  return out.filter((n) => !dropped.has(n));
}

/**
 * Conv -> Round -> Transpose becomes Conv -> Transpose -> Round (in place; rounding commutes with
 * data movement). onnxruntime folds a Transpose next to a Conv into the Conv's NCHWc reorder,
 * and moves the others through the ops it knows to cancel them, but not through a custom op:
 * a channels-last Conv's Transpose back would stay a full pass of its own. (A Transpose before
 * a Conv is folded into it as is, so Round -> Transpose -> Conv stays.)
 */
function transposeFirst(nodes: NodeDef[], readers: ReadonlyMap<string, number>): void {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));
  for (let j = 0; j < nodes.length; j++) {
    const t = nodes[j]!;
    if (t.op !== "Transpose" || t.domain) continue;
    const i = producer.get(t.inputs[0]!);
    const r = i === undefined ? undefined : nodes[i];
    if (i === undefined || !r || r.op !== "RoundBFloat16" || r.domain !== ROUNDING_DOMAIN || readers.get(r.outputs[0]!) !== 1) continue;
    const before = producer.get(r.inputs[0]!);
    if (before === undefined || nodes[before]!.op !== "Conv" || nodes[before]!.domain) continue;
    // The Transpose takes the Round's place (its input is produced before it), writing the
    // Round's old output name (read by nothing else); the Round takes the Transpose's place.
    nodes[i] = { ...t, inputs: [r.inputs[0]!], outputs: r.outputs };
    nodes[j] = { ...r, inputs: r.outputs, outputs: t.outputs };
    producer.set(r.outputs[0]!, i);
    producer.set(t.outputs[0]!, j);
  }
}
