/**
 * GraphBuilder: assembles an ONNX model (ai.onnx opset 21, IR 10) in memory from value
 * names. Composite Flax ops live in the ops_*.ts modules beside this one and take a builder.
 */

import { allocate, tensor, type DType, type Tensor } from "../../tensor.js";
import type { ExternalDataFile } from "../backend.js";
import { fuseRounding, readerCounts, ROUNDING_DOMAIN } from "./fuse_rounding.js";
import { roundingOf, roundScalar, type Half, type Rounding } from "./rounding.js";
import { mappedFileOf } from "../mapped_files.js";
import { ONNX_DTYPE, encodeModel, type AttrValue, type Dim, type NodeDef, type TensorDef, type ValueInfoDef } from "./proto.js";

export type { Dim } from "./proto.js";

export const IR_VERSION = 10;
export const OPSET = 21;

/**
 * A node attribute. Plain numbers are INT (they must be integers) and number arrays INTS;
 * floats must be tagged with `float()`/`floats()` so that 1.0 is never sent as an INT.
 */
export type Attr = number | bigint | string | readonly number[] | readonly string[] | AttrValue;
export type Attrs = Readonly<Record<string, Attr | undefined>>;

export const float = (value: number): AttrValue => ({ kind: "float", value });
export const floats = (value: readonly number[]): AttrValue => ({ kind: "floats", value });
/** A TENSOR attribute (e.g. ConstantOfShape's value). */
export const tensorAttr = (t: Tensor): AttrValue => ({ kind: "tensor", value: { name: "", dtype: t.dtype, dims: t.shape, raw: tensorBytes(t) } });

function toAttrValue(name: string, a: Attr): AttrValue {
  if (typeof a === "number") {
    if (!Number.isSafeInteger(a)) throw new TypeError(`attribute ${name}: ${a} is not an integer; tag floats with float()`);
    return { kind: "int", value: a };
  }
  if (typeof a === "bigint") return { kind: "int", value: a };
  if (typeof a === "string") return { kind: "string", value: a };
  if (Array.isArray(a)) {
    if (a.every((v) => typeof v === "string")) return a.length === 0 ? { kind: "ints", value: [] } : { kind: "strings", value: a as string[] };
    for (const v of a) if (!Number.isSafeInteger(v)) throw new TypeError(`attribute ${name}: ${String(v)} is not an integer; tag floats with floats()`);
    return { kind: "ints", value: a as number[] };
  }
  return a as AttrValue;
}

/** Little-endian bytes of a host tensor, without copying (x86 and arm64 are little-endian). */
export function tensorBytes(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

export interface BuiltModel {
  readonly bytes: Uint8Array;
  /** In-memory "files" for initializers stored with data_location EXTERNAL. */
  readonly externalData: readonly ExternalDataFile[];
  /** The folder of the mapped file that initializers point into (BuildOptions.mappedFiles). */
  readonly externalDir?: string;
}

export interface BuildOptions {
  /**
   * Initializers of at least this many bytes (default 1 MiB) are passed as in-memory external
   * data instead of being embedded: no copy into the model buffer (a 127 MB model built and
   * loaded ~25% faster cold, and peak memory holds the weights once less), and no 2 GiB
   * protobuf limit. Infinity embeds everything.
   */
  readonly externalAbove?: number;
  /**
   * Put every external initializer in this one file, at 64-byte aligned offsets (what
   * `export` writes beside a model whose weights exceed protobuf's 2 GiB limit). By default
   * each tensor is its own in-memory file.
   */
  readonly externalFile?: string;
  /**
   * Graph inputs and outputs of these dtypes are declared float32 at the interface, with an
   * exact Cast inside (bfloat16 -> float32 and back loses nothing): for runtimes whose API
   * cannot pass them (onnxruntime-web and onnxruntime-node have no bfloat16 tensors).
   */
  readonly float32Interface?: readonly DType[];
  /**
   * Initializers whose bytes lie in a mapped parameter file (runtime/mapped_files.ts) point to
   * their place in that file, for a backend that maps it itself: nothing is copied. Only one
   * folder's files are referenced; tensors from elsewhere are passed as usual.
   */
  readonly mappedFiles?: boolean;
  /**
   * For onnxruntime's CPU kernels only (its com.microsoft domain): MatMul(x, Transpose(W)) on a
   * 2-D initializer W becomes FusedMatMul(x, W, transB=1). Both pre-pack the same (K, N) panels
   * and run the same kernel, but the Transpose would be folded at load into a transposed copy
   * of W (for a tied GPT-2 head, 154 MB written, then packed). Export keeps standard ONNX.
   */
  readonly fuseTransposedWeights?: boolean;
  /** For nnx-gen's native binding only: bfloat16 Cast pairs become its one-pass rounding op (./fuse_rounding.ts). */
  readonly roundingOp?: boolean;
}

/** onnxruntime's native CPU build (the package root) or its WebAssembly build (nnx-gen/web). */
export type RuntimeTarget = "node" | "web";

export class GraphBuilder {
  private readonly nodes: NodeDef[] = [];
  private readonly inits: { name: string; t: Tensor }[] = [];
  private readonly inputs: ValueInfoDef[] = [];
  private readonly outputs: ValueInfoDef[] = [];
  private used = new Set<string>();
  private readonly produced = new Set<string>();
  /** Node outputs renamed to a graph output name (applied at serialization, no Identity copy). */
  private readonly alias = new Map<string, string>();
  private readonly cache = new Map<string, string>();
  /** Parameter tensors already stored, so a tied weight is one initializer however often it is read. */
  private readonly sharedInits = new WeakMap<Tensor, string>();
  private counter = 0;
  /**
   * JAX's rounding points while a layer computing in float16/bfloat16 is lowered (./rounding.ts):
   * values stay float32 in the graph, and every arithmetic node's result is rounded to `ops`
   * (dots and convs to `dots`), as XLA's CPU compiler converts each such op to float32 and back.
   */
  rounding: Rounding | undefined = undefined;
  /**
   * Set while a layer computing in float64 (x64) is lowered: the lowerings' float32 constants
   * are Python scalars in JAX's formulas, weakly typed, so they take the float64 dtype.
   */
  floatScalars: "float64" | undefined = undefined;
  /** roundTo's results by name: the 16-bit value each widened, so an output needs no third Cast. */
  private readonly narrowed = new Map<string, { dtype: Half; value: string }>();

  constructor(
    readonly graphName = "nnx_gen",
    readonly producerVersion = "0.1.0",
    /** The runtime the graph is built for: kernels.ts picks the ops that run fastest there. */
    readonly target: RuntimeTarget = "node",
  ) {}

  /** A name not used yet, derived from `hint`. */
  fresh(hint: string): string {
    let n: string;
    do n = `${hint}_${this.counter++}`;
    while (this.used.has(n));
    this.used.add(n);
    return n;
  }

  private claim(name: string): string {
    if (name === "" || this.used.has(name)) throw new Error(`ONNX value name ${JSON.stringify(name)} is empty or already used`);
    this.used.add(name);
    return name;
  }

  input(name: string, dtype: DType, dims: readonly Dim[]): string {
    this.inputs.push({ name: this.claim(name), dtype, dims: [...dims] });
    return name;
  }

  /**
   * Expose `value` as graph output `outName`. A node output is renamed in place; an input,
   * an initializer or an already exposed value gets an Identity node.
   */
  output(value: string, outName: string, dtype: DType, dims: readonly Dim[]): void {
    let src = value;
    if (outName !== value) {
      if (this.produced.has(value) && !this.alias.has(value)) {
        this.claim(outName);
        this.alias.set(value, outName);
      } else {
        this.node("Identity", [value], {}, { outputs: [outName] });
      }
      src = outName;
    }
    this.outputs.push({ name: src, dtype, dims: [...dims] });
  }

  initializer(name: string, t: Tensor): string {
    this.inits.push({ name: this.claim(name), t });
    return name;
  }

  /** An initializer with a generated name. */
  constant(t: Tensor, hint = "const"): string {
    const name = this.fresh(hint);
    this.inits.push({ name, t });
    return name;
  }

  /**
   * The initializer holding `t` itself, stored once however many layers read it (a tied
   * embedding read by Embed and attend). Only for tensors used as they are, never re-laid out.
   */
  shared(t: Tensor, hint = "param"): string {
    let name = this.sharedInits.get(t);
    if (name === undefined) {
      name = this.constant(t, hint);
      this.sharedInits.set(t, name);
    }
    return name;
  }

  /** A 1-D int64 constant (shapes, axes, pads), shared between uses. */
  constInt64(values: readonly (number | bigint)[]): string {
    return this.cached(`i64:${values.join(",")}`, () =>
      this.constant(tensor("int64", [values.length], values.map((v) => BigInt(v))), "i64"));
  }

  /** A 0-d constant of `dtype` (16-bit floats are made by a Cast that ORT folds). */
  scalar(value: number, dtype: DType): string {
    // A Python scalar meeting a 16-bit array takes its dtype (weak typing): rounded once here.
    if (dtype === "float32" && this.rounding?.ops) value = roundScalar(value, this.rounding.ops);
    if (dtype === "float32" && this.floatScalars) dtype = this.floatScalars;
    return this.cached(`s:${dtype}:${Object.is(value, -0) ? "-0" : value}`, () => {
      if (dtype === "float16" || dtype === "bfloat16") return this.node("Cast", [this.scalar(value, "float32")], { to: onnxDType(dtype) });
      const t = tensor(dtype, [], allocate(dtype, 1));
      (t.data as unknown as (number | bigint)[])[0] = dtype === "int64" || dtype === "uint64" ? BigInt(value) : value;
      return this.constant(t, "scalar");
    });
  }

  private cached(key: string, make: () => string): string {
    let v = this.cache.get(key);
    if (v === undefined) {
      v = make();
      this.cache.set(key, v);
    }
    return v;
  }

  /** Add a node; returns its (first) output name. "" stands for an omitted optional input. */
  node(op: string, inputs: readonly string[], attrs: Attrs = {}, opts: { outputs?: readonly string[]; domain?: string } = {}): string {
    return this.nodeMulti(op, inputs, 1, attrs, opts)[0]!;
  }

  nodeMulti(op: string, inputs: readonly string[], nOutputs: number, attrs: Attrs = {}, opts: { outputs?: readonly string[]; domain?: string } = {}): string[] {
    const outputs = opts.outputs ? opts.outputs.map((o) => this.claim(o)) : Array.from({ length: nOutputs }, () => this.fresh(op));
    for (const o of outputs) this.produced.add(o);
    const a: Record<string, AttrValue> = {};
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) a[k] = toAttrValue(k, v);
    this.nodes.push({ op, inputs: [...inputs], outputs, name: `n${this.nodes.length}_${op}`, attrs: a, ...(opts.domain !== undefined ? { domain: opts.domain } : {}) });
    const to = this.rounding && !opts.outputs && nOutputs === 1 ? roundingOf(this.rounding, op) : undefined;
    return to ? [this.roundTo(outputs[0]!, to)] : outputs;
  }

  /** x (float32 in the graph) rounded to a 16-bit float and back: one Cast each way, round to nearest even. */
  roundTo(x: string, to: Half): string {
    const saved = this.rounding;
    this.rounding = undefined;
    try {
      const narrow = this.node("Cast", [x], { to: onnxDType(to) });
      const wide = this.node("Cast", [narrow], { to: onnxDType("float32") });
      this.narrowed.set(wide, { dtype: to, value: narrow });
      return wide;
    } finally {
      this.rounding = saved;
    }
  }

  /**
   * A composite standing for one XLA op (log1p, expm1, erfc): computed in float32 and, in 16
   * bits, rounded once, as XLA converts that one op to float32 and back.
   */
  atomic(fn: () => string): string {
    const half = this.rounding?.ops;
    if (!half) return fn();
    return this.roundTo(this.withRounding(undefined, fn), half);
  }

  /** x as a `to` tensor: the Cast roundTo made when x is its result, else a new Cast (x exact in `to`). */
  narrowTo(x: string, to: Half): string {
    const n = this.narrowed.get(x);
    return n?.dtype === to ? n.value : this.node("Cast", [x], { to: onnxDType(to) });
  }

  /** Run `fn` with these rounding points (undefined: exact float32, as Flax's norm statistics). */
  withRounding<T>(r: Rounding | undefined, fn: () => T): T {
    const saved = this.rounding;
    this.rounding = r;
    try {
      return fn();
    } finally {
      this.rounding = saved;
    }
  }

  /**
   * A subgraph for If's branches: `fill` adds nodes to a child builder (which may read any value
   * of this graph by name) and returns the branch's one output. Names are unique across both.
   */
  subgraph(fill: (b: GraphBuilder) => string, dtype: DType): AttrValue {
    const b = new GraphBuilder(this.fresh("branch"), this.producerVersion, this.target);
    b.used = this.used;
    b.rounding = this.rounding;
    let out = fill(b);
    // A branch's output must be produced inside it.
    if (!b.produced.has(out)) out = b.node("Identity", [out]);
    const initializers = b.inits.map(({ name, t }) => ({ name, dtype: t.dtype, dims: t.shape, raw: tensorBytes(t) }));
    return { kind: "graph", value: { name: b.graphName, nodes: b.nodes, initializers, inputs: [], outputs: [{ name: out, dtype, dims: [], unknownShape: true }] } };
  }

  /** Serialize with every initializer embedded (small models, tests, writing .onnx files). */
  toBytes(): Uint8Array {
    return this.build({ externalAbove: Infinity }).bytes;
  }

  build(opts: BuildOptions = {}): BuiltModel {
    const above = opts.externalAbove ?? 2 ** 20;
    const externalData: ExternalDataFile[] = [];
    let offset = 0;
    let externalDir: string | undefined;
    const initializers: TensorDef[] = this.inits.map(({ name, t }) => {
      const raw = tensorBytes(t);
      const base = { name, dtype: t.dtype, dims: t.shape };
      if (raw.byteLength < above || raw.byteLength === 0) return { ...base, raw };
      const file = opts.mappedFiles && opts.externalFile === undefined ? mappedFileOf(raw.buffer) : undefined;
      if (file && (externalDir ?? file.dir) === file.dir) {
        externalDir = file.dir;
        return { ...base, external: { location: file.name, offset: raw.byteOffset, length: raw.byteLength } };
      }
      if (opts.externalFile === undefined) {
        externalData.push({ path: `w${externalData.length}.bin`, data: raw, initializer: { name, dtype: t.dtype, dims: t.shape } });
        // One in-memory "file" per tensor: no concatenation copy, offset 0 is always aligned.
        return { ...base, external: { location: `w${externalData.length - 1}.bin`, offset: 0, length: raw.byteLength } };
      }
      externalData.push({ path: opts.externalFile, data: raw });
      const at = alignExternal(offset);
      offset = at + raw.byteLength;
      return { ...base, external: { location: opts.externalFile, offset: at, length: raw.byteLength } };
    });
    const { inputs, outputs, head, tail, inner } = this.widenInterface(new Set(opts.float32Interface ?? []));
    const rn = (v: string): string => {
      const a = this.alias.get(v) ?? v;
      return inner.get(a) ?? a;
    };
    // Branches read outer values by name: renames reach into them too.
    const renameNode = (n: NodeDef): NodeDef => ({ ...n, inputs: n.inputs.map(rn), outputs: n.outputs.map(rn), ...(n.attrs ? { attrs: renameAttrs(n.attrs) } : {}) });
    const renameAttrs = (attrs: Readonly<Record<string, AttrValue>>): Record<string, AttrValue> =>
      Object.fromEntries(Object.entries(attrs).map(([k, a]) => [k, a.kind === "graph" ? { kind: "graph", value: { ...a.value, nodes: a.value.nodes.map(renameNode) } } : a]));
    let nodes = [...head, ...this.nodes.map(renameNode), ...tail];
    let fused = false;
    if (opts.fuseTransposedWeights) ({ nodes, fused } = fuseTransposedWeights(nodes, new Set(this.inits.filter((i) => i.t.shape.length === 2).map((i) => i.name)), outputs));
    let rounded = false;
    if (opts.roundingOp) ({ nodes, fused: rounded } = fuseRounding(nodes, outputs, new Set(this.inits.filter((i) => i.t.dtype === "float32" && i.t.shape.length === 1).map((i) => i.name))));
    const bytes = encodeModel({
      irVersion: IR_VERSION,
      opsets: [{ domain: "", version: OPSET }, ...(fused ? [{ domain: ORT_DOMAIN, version: 1 }] : []), ...(rounded ? [{ domain: ROUNDING_DOMAIN, version: 1 }] : [])],
      producerName: "nnx-gen",
      producerVersion: this.producerVersion,
      graph: { name: this.graphName, nodes, initializers, inputs, outputs },
    });
    return externalDir === undefined ? { bytes, externalData } : { bytes, externalData, externalDir };
  }

  /**
   * The interface with `widen`'s dtypes declared float32: each such input X is read through
   * Cast(X) -> an internal name, and each such output is produced under an internal name and
   * Cast to float32 under its own. `inner` maps interface names to internal ones.
   */
  private widenInterface(widen: ReadonlySet<DType>) {
    const inner = new Map<string, string>();
    const head: NodeDef[] = [];
    const tail: NodeDef[] = [];
    if (widen.size === 0) return { inputs: this.inputs, outputs: this.outputs, head, tail, inner };
    const cast = (from: string, to: string, dtype: DType): NodeDef => ({ op: "Cast", inputs: [from], outputs: [to], name: `interface_${to}`, attrs: { to: { kind: "int", value: onnxDType(dtype) } } });
    const inputNames = new Set(this.inputs.map((i) => i.name));
    const inputs = this.inputs.map((i) => {
      if (!widen.has(i.dtype)) return i;
      const internal = this.fresh(`${i.name}_${i.dtype}`);
      inner.set(i.name, internal);
      head.push(cast(i.name, internal, i.dtype));
      return { ...i, dtype: "float32" as const };
    });
    const outputs = this.outputs.map((o) => {
      if (!widen.has(o.dtype)) return o;
      // An input returned as is is already float32 at the interface.
      if (!inputNames.has(o.name)) {
        const internal = this.fresh(`${o.name}_${o.dtype}`);
        inner.set(o.name, internal);
        tail.push(cast(internal, o.name, "float32"));
      }
      return { ...o, dtype: "float32" as const };
    });
    return { inputs, outputs, head, tail, inner };
  }
}

export type { Half, Rounding } from "./rounding.js";
const ORT_DOMAIN = "com.microsoft";

/** BuildOptions.fuseTransposedWeights: the rewritten nodes, and whether any was rewritten. */
function fuseTransposedWeights(nodes: readonly NodeDef[], matrices: ReadonlySet<string>, outputs: readonly ValueInfoDef[]): { nodes: NodeDef[]; fused: boolean } {
  const readers = readerCounts(nodes, outputs);
  const transposed = new Map<string, string>();
  for (const n of nodes) {
    const perm = n.attrs?.["perm"];
    if (n.op === "Transpose" && !n.domain && matrices.has(n.inputs[0]!) && perm?.kind === "ints" && perm.value.join() === "1,0") transposed.set(n.outputs[0]!, n.inputs[0]!);
  }
  // Only when every reader of the transposed value is a MatMul's second input: the Transpose then goes.
  const usable = new Set([...transposed.keys()].filter((t) => nodes.filter((n) => n.op === "MatMul" && !n.domain && n.inputs[1] === t && n.inputs[0] !== t).length === readers.get(t)));
  if (usable.size === 0) return { nodes: [...nodes], fused: false };
  const out: NodeDef[] = [];
  for (const n of nodes) {
    if (n.op === "Transpose" && usable.has(n.outputs[0]!)) continue;
    if (n.op === "MatMul" && usable.has(n.inputs[1]!)) {
      out.push({ ...n, op: "FusedMatMul", domain: ORT_DOMAIN, inputs: [n.inputs[0]!, transposed.get(n.inputs[1]!)!], attrs: { transB: { kind: "int", value: 1 }, alpha: { kind: "float", value: 1 } } });
      continue;
    }
    out.push(n);
  }
  return { nodes: out, fused: true };
}

/** Where the next tensor starts in a shared external data file. */
export function alignExternal(offset: number): number {
  return Math.ceil(offset / 64) * 64;
}

/** TensorProto.DataType number of a dtype, for Cast's `to`. */
export function onnxDType(d: DType): number {
  return ONNX_DTYPE[d];
}
