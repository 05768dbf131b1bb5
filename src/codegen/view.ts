/**
 * IR -> view model: everything the template prints, precomputed. Text taken from the spec
 * stays raw here; the template escapes it for the context it lands in (comment or string).
 */
import { basenameOf as basename } from "../host.js";
import { modelSymbols, paramCollection, valueTypes, type IrModel, type ParamCollection, type TensorType } from "../ir/model.js";
import { Expr, shapeText } from "../shapes/expr.js";
import { UserError } from "../diagnostics/errors.js";
import { summarize, treeRows, type ModelSummary } from "../summary/summary.js";
import { LAYER_KINDS } from "../layers/registry.js";
import { assertIdentifier, typeParamNames } from "./names.js";
import { textLines } from "./escape.js";

export interface ModuleView {
  /** The spec's file name, without directories, so output does not depend on where it ran. */
  readonly specFile: string;
  readonly specText: string;
  readonly className: string;
  readonly descriptionLines: readonly string[];
  readonly paramSummary: string;
  /** Symbolic dims, in the order the inputs first use them. */
  readonly dims: readonly DimView[];
  /** `<Batch extends number, Seq extends number>`, or "" for a fully static model. */
  readonly runTypeParams: string;
  readonly inputs: TensorGroupView;
  readonly outputs: TensorGroupView;
  readonly layerRows: readonly string[];
  /** `generate --target web`: the module imports `nnx-gen/web` and runs on onnxruntime-web. */
  readonly web: boolean;
}

/** Which entry of the package a generated module imports. */
export type CodegenTarget = "node" | "web";

export interface DimView {
  readonly typeParam: string;
  readonly symbol: string;
  /** `1 to 4096`, `at least 8`. */
  readonly range: string;
}

/** The `<Model>Inputs` / `<Model>Outputs` type alias. */
export interface TensorGroupView {
  readonly typeName: string;
  /** Declared type parameters (only those its fields use, with `= number` defaults). */
  readonly typeParams: string;
  /** The same, as arguments in `run`'s signature. */
  readonly typeArgs: string;
  readonly fields: readonly TensorFieldView[];
}

export interface TensorFieldView {
  readonly name: string;
  /** `Tensor<"float32", readonly [Batch, 28, 28, 1]>` */
  readonly type: string;
  /** The spec's view of it: `float32[batch, 28, 28, 1]`. */
  readonly doc: string;
}

/**
 * Types the module names; neither the class nor a dim's type parameter may shadow them. (Its
 * values, `spec` and `compileSpecModel`, are lowercase and cannot meet a PascalCase name.)
 */
const TYPES_IN_SIGNATURES = ["Tensor", "CompiledModel", "Promise", "ReadonlyMap", "NoInfer", "WebParamSource", "WebCompileOptions"];

export function buildModuleView(model: IrModel, specText: string, specFileName: string, target: CodegenTarget = "node"): ModuleView {
  const className = assertIdentifier(model.model, "model name");
  if (TYPES_IN_SIGNATURES.includes(className)) {
    throw new UserError("NNX1000", `model ${className} cannot be generated: its class would shadow the type ${className} that the module uses`, model.file, "rename the model");
  }
  const inputsName = `${className}Inputs`;
  const outputsName = `${className}Outputs`;
  const symbols = modelSymbols(model);
  const params = typeParamNames(symbols, [...TYPES_IN_SIGNATURES, className, inputsName, outputsName]);
  const types = valueTypes(model);
  const summary = summarize(model);

  // A symbol is inferred only from its first use; every later use is NoInfer, so two inputs
  // that disagree (batch 8 and batch 4) are a compile error instead of inferring `8 | 4`.
  const inferredOnce = new Set<string>();
  const inputDim = (d: Expr): string => {
    const symbol = soleSymbol(d);
    if (symbol === undefined) return dimLiteral(d);
    const name = params.get(symbol)!;
    if (inferredOnce.has(symbol)) return `NoInfer<${name}>`;
    inferredOnce.add(symbol);
    return name;
  };
  const outputDim = (d: Expr): string => {
    const symbol = soleSymbol(d);
    return symbol !== undefined && params.has(symbol) ? params.get(symbol)! : dimLiteral(d);
  };

  const inputFields = model.inputs.map((i) => tensorField(assertIdentifier(i.name, "input name"), i.type, inputDim));
  const outputFields = model.outputs.map((o) => tensorField(assertIdentifier(o.name, "output name"), types.get(o.value)!, outputDim));
  const outputSymbols = symbols.filter((s) => model.outputs.some((o) => types.get(o.value)!.shape.some((d) => soleSymbol(d) === s)));

  return {
    specFile: basename(specFileName),
    specText,
    className,
    descriptionLines: model.description === undefined ? [] : textLines(model.description.trim()).map((line) => line.trimEnd()),
    paramSummary: paramSummary(summary.totals.params, arrayCount(model, "params")) + batchStatSummary(summary.totals.batch_stats, arrayCount(model, "batch_stats")),
    dims: symbols.map((s) => ({ typeParam: params.get(s)!, symbol: s, range: rangeText(model.dims[s]) })),
    runTypeParams: typeParamList(symbols.map((s) => `${params.get(s)!} extends number`)),
    inputs: tensorGroup(inputsName, symbols, params, inputFields),
    outputs: tensorGroup(outputsName, outputSymbols, params, outputFields),
    layerRows: layerTable(model, types, summary),
    web: target === "web",
  };
}

/** The symbol when the dim is exactly one symbol (`batch`), not arithmetic on it. */
function soleSymbol(d: Expr): string | undefined {
  const [s, ...rest] = d.symbols();
  return s !== undefined && rest.length === 0 && d.equals(Expr.sym(s)) ? s : undefined;
}

/**
 * A static dim is its literal type. Arithmetic on symbols is `number`: the generator does the
 * arithmetic, not the type checker (keeps tsc fast); the field's doc shows the expression.
 */
function dimLiteral(d: Expr): string {
  return d.constant === undefined ? "number" : String(d.constant);
}

function tensorField(name: string, t: TensorType, dim: (d: Expr) => string): TensorFieldView {
  // 16-bit floats are the one dtype whose data is not its values: say so where users look.
  const words = t.dtype === "float16" || t.dtype === "bfloat16" ? ": raw 16-bit words in a Uint16Array (toFloat32 / fromFloat32 convert)" : "";
  return { name, type: `Tensor<"${t.dtype}", readonly [${t.shape.map(dim).join(", ")}]>`, doc: `${t.dtype}${shapeText(t.shape)}${words}` };
}

function tensorGroup(typeName: string, symbols: readonly string[], params: ReadonlyMap<string, string>, fields: TensorFieldView[]): TensorGroupView {
  const names = symbols.map((s) => params.get(s)!);
  return {
    typeName,
    typeParams: typeParamList(names.map((n) => `${n} extends number = number`)),
    typeArgs: typeParamList(names),
    fields,
  };
}

function typeParamList(items: readonly string[]): string {
  return items.length === 0 ? "" : `<${items.join(", ")}>`;
}

function rangeText(c: IrModel["dims"][string] | undefined): string {
  if (c === undefined) return "any size";
  return c.max === undefined ? `at least ${c.min}` : `${c.min} to ${c.max}`;
}

function paramSummary(count: number, arrays: number): string {
  if (count === 0) return "No parameters.";
  return `${grouped(count)} parameters in ${arrays} array${arrays === 1 ? "" : "s"}.`;
}

function arrayCount(model: IrModel, collection: ParamCollection): number {
  return model.layers.reduce((n, l) => n + l.params.filter((p) => paramCollection(p) === collection).length, 0);
}

/** BatchNorm's running statistics, counted apart from parameters as nnx.tabulate does. */
function batchStatSummary(count: number, arrays: number): string {
  return count === 0 ? "" : ` ${grouped(count)} batch statistics in ${arrays} array${arrays === 1 ? "" : "s"}.`;
}

function grouped(n: number): string {
  return n.toLocaleString("en-US");
}

/**
 * The forward pass as an aligned table, one row per layer, like nnx.tabulate; with modules,
 * the tree: each use (with its subtree's counts) above its layers, indented.
 */
function layerTable(model: IrModel, types: ReadonlyMap<string, TensorType>, summary: ModelSummary): string[] {
  const counts = (params: number, stats: number) => [params ? `params ${grouped(params)}` : "", stats ? `batch_stats ${grouped(stats)}` : ""].filter((s) => s).join(", ");
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const entries: { indent: string; name: string; layer?: IrModel["layers"][number]; what: string; params: number; stats: number }[] = summary.tree
    ? treeRows(summary.tree).map(([n, depth]) => {
        const layer = byName.get(n.layer ?? "");
        const what = n.repeat ? `${n.type} x${n.repeat.count}${n.repeat.stacked ? " stacked" : ""}` : n.type;
        return { indent: "  ".repeat(depth), name: n.path, ...(layer ? { layer } : {}), what, params: n.params, stats: n.batch_stats };
      })
    : model.layers.map((l, i) => ({ indent: "", name: l.name, layer: l, what: l.type, params: summary.layers[i]!.params, stats: summary.layers[i]!.batch_stats }));
  const rows = entries.map((e) => ({
    name: e.indent + e.name,
    what: e.layer ? (LAYER_KINDS.get(e.layer.type)?.describe?.(e.layer.attrs) ?? e.layer.type) : e.what,
    from: e.layer ? e.layer.inputs.map((v) => shapeText(types.get(v)!.shape)).join(", ") : "",
    to: !e.layer ? "" : e.layer.parts ? e.layer.parts.map((p) => shapeText(p.shape)).join(", ") : shapeText(e.layer.output.shape),
    params: counts(e.params, e.stats),
  }));
  const width = (key: "name" | "what" | "from" | "to") => Math.max(...rows.map((r) => r[key].length));
  const [nameW, whatW, fromW, toW] = [width("name"), width("what"), width("from"), width("to")];
  const arrow = (r: { from: string; to: string }) => (r.from || r.to ? `${r.from.padEnd(fromW)} -> ${r.to.padEnd(toW)}` : " ".repeat(fromW + toW + 4));
  return rows.map((r) => `${r.name.padEnd(nameW)}  ${r.what.padEnd(whatW)}  ${arrow(r)}  ${r.params}`.trimEnd());
}
