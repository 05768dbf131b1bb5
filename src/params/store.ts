/**
 * Model parameters by their flattened `nnx.state` names (`<layer>.<param>`): initialized
 * from a seed, or read from a file and checked against the spec before anything runs.
 */
import { UserError } from "../diagnostics/errors.js";
import { paramName, type IrLayer, type IrModel, type ParamSpec } from "../ir/model.js";
import { basenameOf, host } from "../host.js";
import type { RngDraw } from "../layers/kind.js";
import { LAYER_KINDS } from "../layers/registry.js";
import { limitsFor, type ReadLimits } from "../io/limits.js";
import { f32ToBf16, f32ToF16, toFloat32 } from "../io/convert.js";
import { allocate, BYTES_PER_ELEMENT, numElements, type DType, type Tensor } from "../tensor.js";
import { didYouMean } from "../util/suggest.js";
import { runDraw, runDraws, type DrawJob } from "./draws.js";
import { drawsFromKey, endInitialization, initializeParam, planInitializer, sampleInitializer64 } from "./initializers.js";
import { RngStream } from "./rngs.js";
import { sliceOffset, storedName } from "./stacked.js";
import type { Key, PrngLayout } from "./threefry.js";

export type ParamMap = ReadonlyMap<string, Tensor>;

/**
 * Every parameter the model stores, in layer order, by full name. The layers of a stacked
 * repeat share one entry per parameter, with the repeat's leading axes (`h.attn.query.kernel`
 * is [12, 768, 12, 64]), as nnx.vmap stores them.
 */
export function declaredParams(model: IrModel): Map<string, ParamSpec> {
  const out = new Map<string, ParamSpec>();
  for (const l of model.layers) {
    const slot = model.stacked?.[l.name];
    for (const p of l.params) {
      if (!slot) out.set(paramName(l, p), p);
      else if (!out.has(storedName(slot, l, p))) out.set(storedName(slot, l, p), { ...p, shape: [...slot.counts, ...p.shape] });
    }
  }
  return out;
}

/** What a parameter file for `model` may hold (see io/limits.ts). */
export function declaredLimits(model: IrModel): ReadLimits {
  const declared = [...declaredParams(model).values()];
  // With x64 off a float32 parameter may come as float64 (converted on load): room for that.
  const x64 = (model as IrModel & { readonly x64?: boolean }).x64 === true;
  const bytes = declared.reduce((n, p) => n + numElements(p.shape) * BYTES_PER_ELEMENT[p.dtype], 0);
  const asFloat64 = x64 ? 0 : declared.reduce((n, p) => n + (p.dtype === "float32" ? numElements(p.shape) * 4 : 0), 0);
  return limitsFor(declared.length, bytes, asFloat64);
}

/**
 * Which PRNG `--seed` uses: JAX's threefry as `nnx.Rngs(seed)` with `jax_threefry_partitionable`
 * on (JAX >= 0.5.0, the default) or off (`legacy`), or nnx-gen's previous per-parameter xoshiro
 * streams.
 */
export type Prng = PrngLayout | "xoshiro";

/** The `rngs.params()` calls a layer's Flax constructor makes, in order. */
export function layerDraws(layer: IrLayer): readonly RngDraw[] {
  const kind = LAYER_KINDS.get(layer.type);
  return kind?.rngDraws?.(layer) ?? layer.params.map((p) => p.name);
}

/** The dtype `--seed` draws a parameter in (float64 only with x64; x64 off makes it float32). */
function initDtype(p: ParamSpec): "float32" | "float16" | "bfloat16" {
  if (p.dtype === "float16" || p.dtype === "bfloat16" || p.dtype === "float32") return p.dtype;
  throw new Error(`${p.name}: --seed initializes float32, float16 and bfloat16 parameters, not ${p.dtype}`);
}

/**
 * A float64 parameter (x64) from --seed: drawn as JAX draws float64 (sampleInitializer64, on
 * the calling thread: float64 models are small). `--prng xoshiro` has no float64 draws.
 */
function float64Init(layer: IrLayer, p: ParamSpec, key?: Key, layout?: PrngLayout): Float64Array {
  if (layout === undefined && drawsFromKey(p.init)) {
    throw new UserError("NNX2131", `parameter ${paramName(layer, p)} is float64 (x64: true) with initializer ${p.init.kind}: --prng xoshiro draws float32, float16 and bfloat16 parameters only`, undefined, "use JAX's PRNG (the default --prng), which draws float64 as JAX does, or pass --params with the float64 values");
  }
  return sampleInitializer64(p.init, p.initShape, key, layout);
}

/**
 * Initialize every parameter from `seed`. JAX's PRNG: one `nnx.Rngs(seed)` stream over the
 * model in layer order, each layer drawing the keys its Flax constructor draws (layerDraws);
 * a parameter Flax creates without a key is initialized without one. xoshiro: each parameter
 * from its own stream (its full name).
 *
 * A stacked repeat is built as `nnx.split_rngs(splits=N)` around an `nnx.vmap`-ped constructor:
 * at its first layer the enclosing stream draws one key, split into N streams; copy k builds
 * from stream k, and its values are slice k of the stacked arrays.
 */
export function initializeParams(model: IrModel, seed: number, prng: Prng = "partitionable"): Map<string, Tensor> {
  const init = new ParamInit(model);
  if (prng === "xoshiro") return init.xoshiro(seed);
  try {
    const planned = planDraws(model, seed, prng, init);
    for (const d of planned) init.store(d.layer, d.p, runDraw(d));
  } finally {
    endInitialization();
  }
  return init.ordered();
}

/**
 * `initializeParams` with the draws on `threads` threads (default: the host's choice; the
 * calling thread counts), the same values on any number of them.
 */
export async function initializeParamsAsync(model: IrModel, seed: number, prng: Prng = "partitionable", threads?: number): Promise<Map<string, Tensor>> {
  const init = new ParamInit(model);
  if (prng === "xoshiro") return init.xoshiro(seed);
  try {
    const planned = planDraws(model, seed, prng, init);
    const values = await runDraws(planned, threads);
    planned.forEach((d, i) => init.store(d.layer, d.p, values[i]!));
  } finally {
    endInitialization();
  }
  return init.ordered();
}

/** A parameter's draw, with the layer it belongs to. */
interface PlannedDraw extends DrawJob {
  readonly layer: IrLayer;
  readonly p: ParamSpec;
}

/**
 * The keys each parameter gets from the `nnx.Rngs(seed)` stream, in construction order (see
 * initializeParams), as jobs: initializers that draw nothing get a key of 0s they do not read.
 */
function planDraws(model: IrModel, seed: number, prng: PrngLayout, init: ParamInit): PlannedDraw[] {
  const stacks = (model.uses ?? []).filter((u) => u.repeat?.stacked);
  const root = RngStream.fromSeed(seed, prng);
  const splits = new Map<string, RngStream[]>();
  const streamOf = (layer: IrLayer): RngStream => {
    let stream = root;
    for (const u of stacks) {
      if (!layer.name.startsWith(`${u.path}.`)) continue;
      const k = Number(layer.name.slice(u.path.length + 1).split(".")[0]);
      let streams = splits.get(u.path);
      if (!streams) splits.set(u.path, (streams = stream.splitStreams(u.repeat!.count)));
      stream = streams[k]!;
    }
    return stream;
  };
  const planned: PlannedDraw[] = [];
  for (const layer of model.layers) for (const p of layer.params) if (p.dtype !== "float64") planInitializer(p.init, p.initShape);
  for (const layer of model.layers) {
    const rngs = streamOf(layer);
    const keys = new Map<string, ReturnType<RngStream["next"]>>();
    for (const draw of layerDraws(layer)) {
      const key = rngs.next();
      if (draw !== null) keys.set(draw, key);
    }
    for (const p of layer.params) {
      const key = keys.get(p.name);
      if (key === undefined && drawsFromKey(p.init)) {
        throw new Error(`${paramName(layer, p)}: ${layer.type} creates it without a key, but its initializer ${p.init.kind} needs one`);
      }
      // float64 (x64) parameters are drawn here, on the calling thread (float64Init).
      if (p.dtype === "float64") init.store(layer, p, float64Init(layer, p, key ?? [0, 0], prng));
      else planned.push({ layer, p, init: p.init, shape: p.initShape, key: key ?? [0, 0], dtype: initDtype(p), layout: prng });
    }
  }
  return planned;
}

/** The parameters as they are initialized: stored by full name, stacked ones in their slice. */
class ParamInit {
  private readonly out = new Map<string, Tensor>();

  constructor(private readonly model: IrModel) {}

  /** Each parameter in its param_dtype: float16/bfloat16 drawn as JAX draws them (raw bits). */
  store(layer: IrLayer, p: ParamSpec, data: Float32Array | Uint16Array | Float64Array): void {
    const dtype = data instanceof Float64Array ? "float64" : initDtype(p);
    const slot = this.model.stacked?.[layer.name];
    if (!slot) return void this.out.set(paramName(layer, p), { dtype, shape: [...p.shape], data } as Tensor);
    const name = storedName(slot, layer, p);
    if (!this.out.has(name)) this.out.set(name, { dtype, shape: [...slot.counts, ...p.shape], data: allocate(dtype, numElements(slot.counts) * data.length) } as Tensor);
    (this.out.get(name)!.data as Float32Array | Uint16Array | Float64Array).set(data, sliceOffset(slot, p));
  }

  xoshiro(seed: number): Map<string, Tensor> {
    for (const layer of this.model.layers) {
      for (const p of layer.params) {
        if (p.dtype === "float64") {
          this.store(layer, p, float64Init(layer, p));
          continue;
        }
        const d = initDtype(p);
        const data = initializeParam(p.init, p.initShape, seed, paramName(layer, p));
        this.store(layer, p, d === "float32" ? data : Uint16Array.from(data, (v) => (d === "bfloat16" ? f32ToBf16(v) : f32ToF16(v))));
      }
    }
    return this.ordered();
  }

  /** Declared order (layer by layer, params in order), as before. */
  ordered(): Map<string, Tensor> {
    return new Map([...declaredParams(this.model).keys()].map((n) => [n, this.out.get(n)!]));
  }
}

/**
 * How checkpoint names map onto the spec's: prefixes to strip (`params.`), then renames of
 * a leading path (`layers.0` -> `conv1`, so `layers.0.kernel` becomes `conv1.kernel`).
 */
export interface NameMapping {
  stripPrefixes?: readonly string[];
  renames?: readonly (readonly [from: string, to: string])[];
  /** Drop entries the spec does not declare instead of refusing the file (`--ignore-extra`). */
  ignoreExtra?: boolean;
  /** Told what was dropped (RNG state, ignored extras). */
  onNote?: (message: string) => void;
}

/**
 * RNG state in `nnx.state(model)`: an RngStream's `key` and `count` (flax/nnx/rnglib.py), under
 * the `rngs` attribute Flax's layers use (Dropout's `dropout.rngs.key`) or a stored nnx.Rngs
 * (`rngs.default.key`, `rngs.params.count`).
 */
export function isRngState(name: string): boolean {
  const parts = name.split(".");
  const last = parts[parts.length - 1];
  return (last === "key" || last === "count") && parts.slice(0, -1).includes("rngs");
}

export function mapName(name: string, m: NameMapping): string {
  let n = name;
  for (const p of m.stripPrefixes ?? []) if (n.startsWith(p)) n = n.slice(p.length);
  for (const [from, to] of m.renames ?? []) {
    if (n === from) return to;
    if (n.startsWith(from + ".")) return to + n.slice(from.length);
  }
  return n;
}

/** Check names, shapes and dtypes against the spec; every problem is listed in one error. */
export function validateParams(model: IrModel, given: ParamMap, file: string, mapping: NameMapping = {}): Map<string, Tensor> {
  const declared = declaredParams(model);
  const mapped = new Map<string, Tensor>();
  const problems: string[] = [];
  const x64 = (model as IrModel & { readonly x64?: boolean }).x64 === true;
  const narrowed: string[] = [];
  let dtypeMismatch: DType | undefined;
  let code = "NNX3060";
  const note = (c: string, msg: string) => {
    if (problems.length === 0) code = c;
    problems.push(msg);
  };
  for (const [raw, t] of given) {
    const name = mapName(raw, mapping);
    if (mapped.has(name)) note("NNX3061", `two entries map to ${name} (one is ${raw})`);
    mapped.set(name, t);
  }
  for (const [name, p] of declared) {
    const t = mapped.get(name);
    if (!t) {
      note("NNX3060", `missing parameter ${name} (shape [${p.shape.join(", ")}])`);
      continue;
    }
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
      note("NNX3062", `${name} has shape [${t.shape.join(", ")}] but the spec needs [${p.shape.join(", ")}]`);
    }
    if (t.dtype === p.dtype) continue;
    // x64 off (JAX's default): jnp.asarray makes a float64 array float32, rounding to nearest.
    if (t.dtype === "float64" && p.dtype === "float32" && !x64) {
      mapped.set(name, toFloat32(t as Tensor<"float64">));
      narrowed.push(name);
      continue;
    }
    dtypeMismatch ??= p.dtype;
    note("NNX3063", `${name}: the file holds ${t.dtype} but the spec's param_dtype is ${p.dtype} (${paramOrigin(model, name)})`);
  }
  const unknown = [...mapped.keys()].filter((n) => !declared.has(n));
  // Inference draws no random numbers: RNG state is dropped; other extras only on request.
  const rng = unknown.filter(isRngState);
  const extra = unknown.filter((n) => !isRngState(n) && !mapping.ignoreExtra);
  const ignored = mapping.ignoreExtra ? unknown.filter((n) => !isRngState(n)) : [];
  const list = (names: string[]) => `${names.slice(0, 4).join(", ")}${names.length > 4 ? `, ... (${names.length} in all)` : ""}`;
  if (narrowed.length > 0) {
    mapping.onNote?.(`${file}: float64 converted to float32 (x64 is off, JAX's default; as jnp.asarray rounds it) for ${list(narrowed)}`);
  }
  if (rng.length > 0) mapping.onNote?.(`${file}: dropped RNG state (${list(rng)}): inference draws no random numbers`);
  if (ignored.length > 0) mapping.onNote?.(`${file}: ignored ${ignored.length} entr${ignored.length === 1 ? "y" : "ies"} the spec does not declare (--ignore-extra): ${list(ignored)}`);
  for (const n of extra) {
    const hint = didYouMean(n, declared.keys());
    note("NNX3061", `unexpected parameter ${n}${hint ? ` (${hint})` : ""}`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 20).map((p) => `  - ${p}`);
    if (problems.length > 20) shown.push(`  - ... and ${problems.length - 20} more`);
    const suggestion = extra.length > 0 ? suggestMapping(extra, mapped, declared) : undefined;
    const renameHint =
      suggestion !== undefined
        ? `the checkpoint holds these parameters under other names; map them with ${suggestion}`
        : extra.length > 0
          ? "checkpoint names differ? map them with --strip-prefix PREFIX or --rename FROM=TO (e.g. --rename layers.0=conv1); --ignore-extra drops entries the spec does not declare"
          : dtypeMismatch !== undefined
            ? `convert the arrays to the spec's param_dtype before saving (e.g. x.astype(jnp.${dtypeMismatch})), or declare the file's dtype as param_dtype on the layer`
            : undefined;
    throw new UserError(code, `${file} does not match the spec (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${shown.join("\n")}`, file, renameHint);
  }
  return new Map([...declared.keys()].map((n) => [n, mapped.get(n)!]));
}

/** Where the spec declares a parameter: its layer's pointer in the spec file. */
function paramOrigin(model: IrModel, name: string): string {
  for (const l of model.layers) {
    const slot = model.stacked?.[l.name];
    if (l.params.some((p) => (slot ? storedName(slot, l, p) : paramName(l, p)) === name)) return `layer ${l.name} at ${basenameOf(model.file)}#${l.pointer}`;
  }
  return basenameOf(model.file);
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The flags that would map the unexpected names onto missing declared ones, when there is an
 * unambiguous answer: one prefix to strip (`params.`), or renames of whole layers matched by
 * their parameters' names and shapes, in order (`layers.0` -> `conv1`).
 */
function suggestMapping(extra: readonly string[], given: ReadonlyMap<string, Tensor>, declared: ReadonlyMap<string, ParamSpec>): string | undefined {
  const parts = extra[0]!.split(".");
  for (let k = 1; k < parts.length; k++) {
    const prefix = parts.slice(0, k).join(".") + ".";
    const fits = extra.every((n) => {
      const p = n.startsWith(prefix) ? declared.get(n.slice(prefix.length)) : undefined;
      return p !== undefined && !given.has(n.slice(prefix.length)) && sameShape(p.shape, given.get(n)!.shape);
    });
    if (fits) return `--strip-prefix ${prefix}`;
  }
  const groups = (names: Iterable<string>, shapeOf: (n: string) => readonly number[]) => {
    const out = new Map<string, Map<string, readonly number[]>>();
    for (const n of names) {
      const dot = n.lastIndexOf(".");
      if (dot <= 0) return undefined;
      const g = out.get(n.slice(0, dot)) ?? new Map<string, readonly number[]>();
      g.set(n.slice(dot + 1), shapeOf(n));
      out.set(n.slice(0, dot), g);
    }
    return out;
  };
  const from = groups(extra, (n) => given.get(n)!.shape);
  const to = groups(
    [...declared.keys()].filter((n) => !given.has(n)),
    (n) => declared.get(n)!.shape,
  );
  if (!from || !to) return undefined;
  const used = new Set<string>();
  const renames: string[] = [];
  for (const [path, leaves] of from) {
    const match = [...to].find(([layer, want]) => !used.has(layer) && want.size === leaves.size && [...leaves].every(([leaf, shape]) => want.has(leaf) && sameShape(want.get(leaf)!, shape)));
    if (!match) return undefined;
    used.add(match[0]);
    renames.push(`--rename ${path}=${match[0]}`);
  }
  return renames.join(" ");
}

/** Parameters from a file or an in-memory map (validated), or initialized from a seed. */
export async function resolveParams(
  model: IrModel,
  source: { seed?: number; prng?: Prng; threads?: number } | { params: string | ParamMap },
  mapping: NameMapping = {},
): Promise<Map<string, Tensor>> {
  if ("params" in source) {
    const isFile = typeof source.params === "string";
    const given = isFile ? await host().readParamsFile(source.params as string, declaredLimits(model)) : (source.params as ParamMap);
    return validateParams(model, given, isFile ? (source.params as string) : "the given parameters", mapping);
  }
  return initializeParamsAsync(model, source.seed ?? 0, source.prng, source.threads);
}
