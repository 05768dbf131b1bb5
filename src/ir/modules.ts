/**
 * Modules, expanded once: every use of a declared module becomes its body's layers, named by
 * their `nnx.state` path (`h.0.attn`), with every reference rewritten to those names. build.ts
 * then builds the flat list as it builds any spec, so shapes, lowering, summary and codegen see
 * ordinary layers. Each expanded layer keeps the JSON pointer of its line in the module body,
 * so a diagnostic points there and its message (which starts with the layer's name, now the
 * path) names the use.
 *
 * Problems that do not depend on a use (unknown names, duplicate names, cycles) are reported
 * here, once per line; shape problems are reported by build.ts for every use.
 */
import { pointerOf } from "../diagnostics/diagnostic.js";
import { LAYER_KINDS } from "../layers/registry.js";
import type { SpecSource } from "../spec/source.js";
import { didYouMean } from "../util/suggest.js";
import type { IrUse, StackSlot } from "./model.js";

type Raw = Record<string, unknown>;
type Outputs = string[] | Record<string, string>;

interface RawModule {
  inputs: string[];
  layers: Raw[];
  outputs?: Outputs;
}

export interface ExpandableSpec {
  inputs: Record<string, unknown>;
  layers: Raw[];
  outputs?: Outputs;
  modules?: Record<string, RawModule>;
}

export interface Expansion {
  /** The flat layer list: the spec's own when it uses no module. */
  readonly layers: Raw[];
  /** JSON pointer of each layer's line (inside the module body for expanded layers). */
  readonly pointers: string[];
  /** The spec's outputs with references rewritten to expanded names. */
  readonly outputs: Outputs | undefined;
  /** Layers not to build: their problem is reported here (or they stand for a failed use). */
  readonly broken: ReadonlySet<number>;
  /** Names of layers inside module bodies and placeholders: unused layers are checked here. */
  readonly internal: ReadonlySet<string>;
  readonly uses: IrUse[];
  /** Layers of stacked repeats, by name. */
  readonly stacked: ReadonlyMap<string, StackSlot>;
}

/** What a local name stands for: one value, or a module use (one value per output). */
type Value = { use: false; ref: string } | { use: true; module: string; outputs: Map<string, string> };

/** Where a body is expanded: names get `prefix`, stacked params `storedPrefix`. */
interface Frame {
  readonly prefix: string;
  readonly storedPrefix: string;
  readonly index: readonly number[];
  readonly counts: readonly number[];
  /** Modules being expanded, outermost first (cycles). */
  readonly chain: readonly string[];
  /** The module whose body this is; undefined at the top level. */
  readonly module?: string;
}

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

export function expandModules(src: SpecSource, spec: ExpandableSpec): Expansion {
  const modules = spec.modules ?? {};
  const plain: Expansion = {
    layers: spec.layers,
    pointers: spec.layers.map((_, i) => pointerOf(["layers", i])),
    outputs: spec.outputs,
    broken: new Set(),
    internal: new Set(),
    uses: [],
    stacked: new Map(),
  };
  if (Object.keys(modules).length === 0) return plain;
  return new Expander(src, spec, modules).run() ?? plain;
}

class Expander {
  private readonly layers: Raw[] = [];
  private readonly pointers: string[] = [];
  private readonly broken = new Set<number>();
  private readonly internal = new Set<string>();
  private readonly uses: IrUse[] = [];
  private readonly stacked = new Map<string, StackSlot>();
  private readonly usedModules = new Set<string>();
  private readonly failedBodies = new Set<string>();

  constructor(
    private readonly src: SpecSource,
    private readonly spec: ExpandableSpec,
    private readonly modules: Record<string, RawModule>,
  ) {}

  private isModule(type: unknown): type is string {
    return typeof type === "string" && hasOwn(this.modules, type) && !LAYER_KINDS.has(type);
  }

  run(): Expansion | undefined {
    for (const name of Object.keys(this.modules)) {
      if (LAYER_KINDS.has(name)) this.src.report("NNX2100", pointerOf(["modules", name]), `module name "${name}" is already a layer type`, { at: "key", hint: "rename the module" });
    }
    if (!this.spec.layers.some((l) => this.isModule(l["type"]))) {
      this.reportUnusedModules();
      return undefined;
    }
    const top: Frame = { prefix: "", storedPrefix: "", index: [], counts: [], chain: [] };
    const scope = new Map<string, Value>(Object.keys(this.spec.inputs).map((n) => [n, { use: false, ref: n }]));
    const onlyInput = Object.keys(this.spec.inputs).length === 1 ? Object.keys(this.spec.inputs)[0] : undefined;
    const body = this.expandBody(this.spec.layers, ["layers"], top, scope, onlyInput);
    this.reportUnusedModules();
    let outputs = this.spec.outputs;
    const last = this.spec.layers.length - 1;
    if (outputs === undefined && body.lastUse !== undefined && body.lastIndex === last) {
      // The last layer is a use: its outputs are the model's, named <use> or <use>_<output>.
      const [local, v] = body.lastUse;
      outputs = v.outputs.size === 1 ? { [local]: [...v.outputs.values()][0]! } : Object.fromEntries([...v.outputs].map(([o, r]) => [`${local}_${o}`, r]));
    } else if (outputs !== undefined) {
      outputs = this.rewriteOutputs(outputs, top, body.scope, ["outputs"]);
    }
    return { layers: this.layers, pointers: this.pointers, outputs, broken: this.broken, internal: this.internal, uses: this.uses, stacked: this.stacked };
  }

  private reportUnusedModules(): void {
    for (const name of Object.keys(this.modules)) {
      if (!this.usedModules.has(name) && !LAYER_KINDS.has(name)) {
        this.src.report("NNX2107", pointerOf(["modules", name]), `module ${name} is never used`, { at: "key", severity: "warning", hint: `use it as a layer: { type: ${name} }` });
      }
    }
  }

  /** Model outputs with references rewritten; list entries that change become `<a>_<b>` keys. */
  private rewriteOutputs(outputs: Outputs, frame: Frame, scope: Map<string, Value>, at: (string | number)[]): Outputs {
    const entries: [string, string, string][] = Array.isArray(outputs)
      ? outputs.map((v, i) => [v.replace(/\./g, "_"), v, pointerOf([...at, i])])
      : Object.entries(outputs).map(([k, v]) => [k, v, pointerOf([...at, k])]);
    const rewritten = entries.map(([k, v, ptr]) => [k, this.resolve(v, frame, scope, ptr, undefined) ?? v] as const);
    if (Array.isArray(outputs) && rewritten.every(([k, v]) => k === v)) return outputs;
    return Object.fromEntries(rewritten);
  }

  /**
   * Expand one list of layers (the top level or a module body). `first` is the value a first
   * layer without `input` reads. Returns the body's scope and its last item.
   */
  private expandBody(items: Raw[], at: (string | number)[], frame: Frame, scope: Map<string, Value>, first: string | undefined) {
    const perType = new Map<string, number>();
    const localNames = items.map((l) => {
      const type = String(l["type"]);
      const k = perType.get(type) ?? 0;
      perType.set(type, k + 1);
      return typeof l["name"] === "string" ? l["name"] : `${type}_${k}`;
    });
    const consumed = new Set<string>();
    const errorsBefore = this.src.diagnostics.filter((d) => d.severity === "error").length;
    let previous: string | undefined = first;
    let lastUse: [string, Extract<Value, { use: true }>] | undefined;
    let lastIndex = -1;
    items.forEach((item, i) => {
      const pointer = pointerOf([...at, i]);
      const local = localNames[i]!;
      const type = item["type"] as string;
      const ctx = { frame, scope, localNames, i, consumed };
      // Names: module bodies and uses are checked here; plain top-level layers by build.ts.
      const existing = scope.get(local);
      if (existing && (frame.module !== undefined || this.isModule(type) || existing.use)) {
        const what = existing.use ? "a module use" : localNames.slice(0, i).includes(local) ? "a layer" : "an input";
        this.src.report(frame.module ? "NNX2106" : "NNX2002", item["name"] !== undefined ? `${pointer}/name` : pointer, `${frame.module ? `${frame.module}: ` : ""}duplicate name "${local}": already ${what}${frame.module ? " of the module" : ""}`, {
          hint: "give each layer a unique name",
        });
        return;
      }
      // An item without `input` reads the previous one.
      if (item["input"] === undefined && i > 0) consumed.add(localNames[i - 1]!);
      lastIndex = i;
      if (this.isModule(type)) {
        const bound = this.bindUseInputs(item, pointer, ctx, previous);
        const value = this.expandUse(item, type, local, pointer, frame, bound);
        scope.set(local, value);
        lastUse = value.use ? [local, value] : undefined;
        if (value.use) previous = value.outputs.size === 1 ? [...value.outputs.values()][0] : undefined;
        else previous = value.ref;
        return;
      }
      lastUse = undefined;
      const name = frame.prefix + local;
      const out: Raw = { ...item, name };
      let ok = true;
      const kind = LAYER_KINDS.get(type);
      const many = kind?.arity === "many";
      const given = item["input"];
      if (given === undefined) {
        if ((kind?.arity as string) === "none") {
          // A layer that reads nothing (arange, Param).
        } else if (frame.module !== undefined || this.previousWasUse(items, i)) {
          if (previous === undefined) {
            ok = false;
            this.reportNoDefault(pointer, frame, i, items);
          } else out["input"] = many ? [previous] : previous;
        }
      } else {
        const refs = Array.isArray(given) ? given : [given];
        const mapped = refs.map((r, k) => (typeof r === "string" ? this.resolve(r, frame, scope, Array.isArray(given) ? `${pointer}/input/${k}` : `${pointer}/input`, ctx) : r));
        if (mapped.some((r) => r === undefined)) ok = false;
        out["input"] = Array.isArray(given) ? mapped : mapped[0];
      }
      // Fields that name other layers or values.
      const named = [...(type === "attend" && typeof item["embed"] === "string" ? [{ field: "embed", name: item["embed"] }] : []), ...valueRefsOf(type, item)];
      for (const { field, name: ref } of named) {
        const r = this.resolve(ref, frame, scope, `${pointer}/${field}`, ctx);
        if (r === undefined) ok = false;
        else out[field] = r;
      }
      this.emit(out, pointer, frame, local, !ok);
      scope.set(local, { use: false, ref: name });
      previous = name;
    });
    // A name that did not resolve makes what it meant look unused: one typo, one diagnostic.
    // (Copies after the first report nothing new, so a failed body is remembered.)
    if (this.src.diagnostics.filter((d) => d.severity === "error").length > errorsBefore) this.failedBodies.add(frame.module ?? "");
    if (this.failedBodies.has(frame.module ?? "")) return { scope, lastUse, lastIndex };
    if (frame.module !== undefined) {
      // Within a body, unused layers are a property of the module: one warning per line.
      const outputs = this.modules[frame.module]!.outputs;
      const named = outputs === undefined ? [localNames[localNames.length - 1]!] : Array.isArray(outputs) ? outputs : Object.values(outputs);
      for (const o of named) consumed.add(o.split(".")[0]!);
      localNames.forEach((n, i) => {
        if (consumed.has(n) || localNames.indexOf(n) !== i) return;
        this.src.report("NNX2026", pointerOf([...at, i]), `${frame.module}: layer "${n}" is never used: no layer reads it and it is not an output of the module`, {
          severity: "warning",
          hint: "add it to the module's outputs, or remove it",
        });
      });
    } else {
      const outputs = this.spec.outputs;
      const named = outputs === undefined ? [localNames[localNames.length - 1]!] : Array.isArray(outputs) ? outputs : Object.values(outputs);
      for (const o of named) consumed.add(o.split(".")[0]!);
      items.forEach((item, i) => {
        const n = localNames[i]!;
        if (!this.isModule(item["type"]) || consumed.has(n)) return;
        this.src.report("NNX2026", pointerOf([...at, i]), `"${n}" is never used: no layer reads it and it is not an output`, { severity: "warning", hint: "add it to outputs, or remove it" });
      });
    }
    return { scope, lastUse, lastIndex };
  }

  private previousWasUse(items: Raw[], i: number): boolean {
    return i > 0 && this.isModule(items[i - 1]!["type"]);
  }

  private reportNoDefault(pointer: string, frame: Frame, i: number, items: Raw[]): void {
    if (frame.module === undefined || i > 0) {
      // After a use with several outputs.
      const prev = items[i - 1]!;
      this.src.report("NNX2105", pointer, `the previous layer is a use of ${String(prev["type"])}, which has several outputs; name one as input: <use>.<output>`);
      return;
    }
    const inputs = this.modules[frame.module]!.inputs;
    this.src.report("NNX2103", pointer, `${frame.module}: the first layer has no input and the module has ${inputs.length} inputs${inputs.length ? ` (${inputs.join(", ")})` : ""}`, {
      hint: inputs.length ? `set input: ${inputs[0]}` : "declare the module's inputs",
    });
  }

  private emit(raw: Raw, pointer: string, frame: Frame, local: string, broken: boolean): void {
    const index = this.layers.length;
    this.layers.push(raw);
    this.pointers.push(pointer);
    if (broken) this.broken.add(index);
    const name = raw["name"] as string;
    if (frame.module !== undefined || broken) this.internal.add(name);
    if (frame.counts.length > 0) this.stacked.set(name, { name: frame.storedPrefix + local, index: frame.index, counts: frame.counts });
  }

  /** The values a use passes to its module's inputs; undefined after a reported problem. */
  private bindUseInputs(item: Raw, pointer: string, ctx: ResolveContext, previous: string | undefined): string[] | undefined {
    const module = this.modules[item["type"] as string]!;
    const given = item["input"];
    let refs: (string | undefined)[];
    if (given === undefined) {
      if (module.inputs.length === 0) return [];
      if (previous === undefined) {
        if (ctx.i > 0) this.reportNoDefault(pointer, ctx.frame, ctx.i, []);
        else this.src.report("NNX2103", pointer, `${ctx.frame.module ? `${ctx.frame.module}: ` : ""}the first layer has no input and ${ctx.frame.module ? "the module" : "the model"} does not have exactly one input`, { hint: "set input" });
        return undefined;
      }
      refs = [previous];
    } else {
      const list = Array.isArray(given) ? (given as string[]) : [given as string];
      refs = list.map((r, k) => this.resolve(r, ctx.frame, ctx.scope, Array.isArray(given) ? `${pointer}/input/${k}` : `${pointer}/input`, ctx));
    }
    if (refs.length !== module.inputs.length) {
      this.src.report("NNX2103", given === undefined ? pointer : `${pointer}/input`, `${item["type"] as string} takes ${module.inputs.length} input${module.inputs.length === 1 ? "" : "s"} (${module.inputs.join(", ")}) but ${given === undefined ? "this use passes the previous layer's output" : `this use passes ${refs.length}`}`, {
        hint: `input: [${module.inputs.join(", ")}]`,
      });
      return undefined;
    }
    return refs.some((r) => r === undefined) ? undefined : (refs as string[]);
  }

  private expandUse(item: Raw, type: string, local: string, pointer: string, frame: Frame, bound: string[] | undefined): Value {
    this.usedModules.add(type);
    const module = this.modules[type]!;
    const path = frame.prefix + local;
    const failed = (): Value => {
      // A placeholder that build.ts skips, so layers reading this use skip silently too.
      this.emit({ name: path, type }, pointer, frame, local, true);
      return { use: false, ref: path };
    };
    if (frame.chain.includes(type)) {
      const cycle = [...frame.chain.slice(frame.chain.indexOf(type)), type].join(" -> ");
      this.src.report("NNX2102", `${pointer}/type`, `${frame.module!}: using ${type} here makes a cycle of modules (${cycle})`, { hint: "a module cannot use itself, directly or through others" });
      return failed();
    }
    const rep = item["repeat"];
    const repeated = rep !== undefined;
    const count = typeof rep === "number" ? rep : typeof rep === "object" && rep !== null ? Number((rep as Raw)["count"]) : 1;
    const stacked = typeof rep === "object" && rep !== null && (rep as Raw)["stacked"] === true;
    const outputNames = moduleOutputNames(module);
    if (count > 1 && (module.inputs.length !== 1 || outputNames.length !== 1)) {
      this.src.report("NNX2104", `${pointer}/repeat`, `${type} has ${module.inputs.length} input${module.inputs.length === 1 ? "" : "s"} and ${outputNames.length} output${outputNames.length === 1 ? "" : "s"}; a repeat feeds each copy's output to the next copy, so it needs exactly one of each`);
      return failed();
    }
    if (!bound) return failed();
    this.uses.push({ path, module: type, pointer, ...(repeated ? { repeat: { count, stacked } } : {}) });
    let values = bound;
    let outputs = new Map<string, string>();
    for (let k = 0; k < count; k++) {
      const copy: Frame = {
        prefix: repeated ? `${path}.${k}.` : `${path}.`,
        storedPrefix: repeated && !stacked ? `${frame.storedPrefix}${local}.${k}.` : `${frame.storedPrefix}${local}.`,
        index: stacked ? [...frame.index, k] : frame.index,
        counts: stacked ? [...frame.counts, count] : frame.counts,
        chain: [...frame.chain, type],
        module: type,
      };
      if (repeated) this.uses.push({ path: `${path}.${k}`, module: type, pointer });
      const scope = new Map<string, Value>(module.inputs.map((n, j) => [n, { use: false, ref: values[j]! }]));
      const body = this.expandBody(module.layers, ["modules", type, "layers"], copy, scope, module.inputs.length === 1 ? values[0] : undefined);
      outputs = this.moduleOutputs(module, type, copy, body.scope);
      values = [...outputs.values()];
    }
    return { use: true, module: type, outputs };
  }

  /** A module's outputs (name -> expanded value) as seen from a use's copy. */
  private moduleOutputs(module: RawModule, type: string, frame: Frame, scope: Map<string, Value>): Map<string, string> {
    const out = new Map<string, string>();
    const o = module.outputs;
    const entries: [string, string, string][] =
      o === undefined
        ? [[lastName(module), lastName(module), pointerOf(["modules", type, "layers", module.layers.length - 1])]]
        : Array.isArray(o)
          ? o.map((v, i) => [v.replace(/\./g, "_"), v, pointerOf(["modules", type, "outputs", i])])
          : Object.entries(o).map(([k, v]) => [k, v, pointerOf(["modules", type, "outputs", k])]);
    // An unresolved output stands for a placeholder that build.ts skips: readers skip silently.
    const placeholder = `${frame.prefix}(failed)`;
    for (const [name, ref, ptr] of entries) out.set(name, this.resolve(ref, frame, scope, ptr, undefined) ?? placeholder);
    if ([...out.values()].includes(placeholder)) this.emit({ name: placeholder, type }, pointerOf(["modules", type]), { ...frame, counts: [] }, "", true);
    return out;
  }

  /**
   * The expanded name a reference stands for. Exact local names first (a layer, an input, a
   * use with one output), then `<use>.<output>`, then `<layer>.<k>` (a split's part, checked
   * by build.ts). Unknown names in a module body are reported here; at the top level they are
   * left to build.ts. Undefined after a reported problem.
   */
  private resolve(ref: string, frame: Frame, scope: Map<string, Value>, pointer: string, ctx: ResolveContext | undefined): string | undefined {
    const where = frame.module ? `${frame.module}: ` : "";
    const direct = scope.get(ref);
    ctx?.consumed.add(ref.split(".")[0]!);
    if (direct) {
      if (!direct.use) return direct.ref;
      if (direct.outputs.size === 1) return [...direct.outputs.values()][0];
      const names = [...direct.outputs.keys()];
      this.src.report("NNX2105", pointer, `${where}"${ref}" is a use of ${direct.module}, which has ${names.length} outputs; name one: ${names.map((n) => `${ref}.${n}`).join(", ")}`, { hint: `${ref}.${names[0]}` });
      return undefined;
    }
    const dot = ref.indexOf(".");
    if (dot > 0) {
      const head = scope.get(ref.slice(0, dot));
      const rest = ref.slice(dot + 1);
      if (head?.use) {
        const r = head.outputs.get(rest);
        if (r !== undefined) return r;
        const names = [...head.outputs.keys()];
        this.src.report("NNX2105", pointer, `${where}${head.module} has no output "${rest}" (its outputs: ${names.join(", ")})`, { hint: didYouMean(rest, names) });
        return undefined;
      }
      if (head) return `${head.ref}.${rest}`;
    }
    if (frame.module === undefined) return ref;
    const later = ctx && ctx.localNames.indexOf(ref, ctx.i) !== -1;
    const known = [...scope.keys()];
    this.src.report(
      "NNX2101",
      pointer,
      later ? `${where}"${ref}" is this layer or a later one; a layer can only read the module's inputs and earlier layers` : `${where}unknown name "${ref}": no input or earlier layer of the module has that name`,
      { hint: later ? undefined : (didYouMean(ref, known) ?? `names in ${frame.module}: ${known.join(", ")}`) },
    );
    return undefined;
  }
}

interface ResolveContext {
  readonly frame: Frame;
  readonly scope: Map<string, Value>;
  readonly localNames: readonly string[];
  readonly i: number;
  readonly consumed: Set<string>;
}

function lastName(module: RawModule): string {
  const last = module.layers[module.layers.length - 1]!;
  if (typeof last["name"] === "string") return last["name"];
  const type = String(last["type"]);
  return `${type}_${module.layers.filter((l) => l["type"] === type).length - 1}`;
}

function moduleOutputNames(module: RawModule): string[] {
  const o = module.outputs;
  return o === undefined ? [lastName(module)] : Array.isArray(o) ? o : Object.keys(o);
}

/** Fields other than `input` that name values, for layer kinds that declare them. */
function valueRefsOf(type: string, item: Raw): { field: string; name: string }[] {
  const kind = LAYER_KINDS.get(type) as { valueRefs?: (fields: Raw) => { field: string; name: string }[] } | undefined;
  return kind?.valueRefs?.(item) ?? [];
}
