/**
 * Model inputs written as JSON: a number or nested lists of numbers, rectangular.
 * Own parser (not JSON.parse) so that int64 literals stay exact and errors can point at lines.
 * Beyond JSON, the bare tokens NaN, Infinity and -Infinity are accepted for float dtypes, because
 * Python's json.dumps writes them; quoted "NaN" is rejected like any other string. Float values are
 * read as the nearest double, then rounded to the dtype.
 */
import { allocate, isFloatDType, tensor, type DType, type Tensor } from "../tensor.js";
import { fail, formatShape, MAX_RANK, unravelIndex } from "./binary.js";
import { f32ToBf16, f32ToF16 } from "./convert.js";
import { integerRange } from "./dtypes.js";

/** A leaf keeps its literal text: "12", "-1.5e3", "true", "NaN", ... */
type JsonNode = string | JsonNode[];

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WORD = /-?[A-Za-z]+/y;
const INTEGER_LITERAL = /^-?\d+$/;

export function readJsonTensor(text: string, file: string, dtype: DType, expectedRank?: number): Tensor {
  const root = parseJson(text, file);
  const shape = shapeOf(root);
  if (expectedRank !== undefined && shape.length !== expectedRank) {
    fail("NNX3036", file, `expected a rank-${expectedRank} array (${expectedRank} levels of lists), got shape ${formatShape(shape)}`);
  }
  const leaves: string[] = [];
  collectLeaves(root, shape, [], leaves, file);
  const data = allocate(dtype, leaves.length) as unknown as (number | bigint)[];
  leaves.forEach((literal, i) => {
    data[i] = convertLiteral(literal, dtype, () => formatShape(unravelIndex(i, shape)), file);
  });
  return tensor(dtype, shape, data as unknown as Tensor["data"]);
}

function parseJson(text: string, file: string): JsonNode {
  let pos = 0;
  const where = (): string => {
    const before = text.slice(0, pos);
    const line = before.split("\n").length;
    return `line ${line}, column ${pos - before.lastIndexOf("\n")}`;
  };
  const syntaxError = (what: string): never => fail("NNX3035", file, `${where()}: ${what}`);
  const skipSpace = (): void => {
    while (pos < text.length && " \t\r\n".includes(text[pos]!)) pos++;
  };
  const match = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = pos;
    const found = pattern.exec(text)?.[0];
    if (found !== undefined) pos += found.length;
    return found;
  };
  const value = (depth: number): JsonNode => {
    skipSpace();
    const c = text[pos];
    if (c === "[") {
      if (depth >= MAX_RANK) fail("NNX3036", file, `${where()}: lists nested deeper than ${MAX_RANK} levels`);
      pos++;
      const items: JsonNode[] = [];
      skipSpace();
      if (text[pos] === "]") {
        pos++;
        return items;
      }
      for (;;) {
        items.push(value(depth + 1));
        skipSpace();
        if (text[pos] === "]") {
          pos++;
          return items;
        }
        if (text[pos] !== ",") syntaxError("expected ',' or ']'");
        pos++;
      }
    }
    if (c === '"') fail("NNX3036", file, `${where()}: strings are not numbers (write NaN or Infinity without quotes)`);
    if (c === "{") fail("NNX3036", file, `${where()}: objects are not accepted; give a number or nested lists of numbers`);
    const word = match(WORD);
    if (word !== undefined) {
      if (["true", "false", "NaN", "Infinity", "-Infinity"].includes(word)) return word;
      pos -= word.length;
      if (word === "null") fail("NNX3036", file, `${where()}: null is not a number`);
      return syntaxError(`unexpected '${word}'`);
    }
    return match(NUMBER) ?? syntaxError(c === undefined ? "unexpected end of input" : `unexpected ${JSON.stringify(c)}`);
  };
  const root = value(0);
  skipSpace();
  if (pos < text.length) syntaxError("unexpected text after the value");
  return root;
}

/** The shape the first element at each level implies; collectLeaves checks the rest agree. */
function shapeOf(root: JsonNode): number[] {
  const shape: number[] = [];
  for (let node = root; Array.isArray(node); node = node[0]!) {
    shape.push(node.length);
    if (node.length === 0) break;
  }
  return shape;
}

function collectLeaves(node: JsonNode, shape: readonly number[], index: number[], out: string[], file: string): void {
  const depth = index.length;
  const at = depth === 0 ? "the top level" : `index ${formatShape(index)}`;
  if (depth === shape.length) {
    if (Array.isArray(node)) fail("NNX3036", file, `ragged array: ${at} is a list, but the elements before it are numbers (shape ${formatShape(shape)})`);
    out.push(node);
    return;
  }
  if (!Array.isArray(node)) fail("NNX3036", file, `ragged array: ${at} is the number ${node}, expected a list of ${shape[depth]}`);
  if (node.length !== shape[depth]) {
    fail("NNX3036", file, `ragged array: ${at} has ${node.length} elements, expected ${shape[depth]} like the first one at that level`);
  }
  node.forEach((child, i) => collectLeaves(child, shape, [...index, i], out, file));
}

function convertLiteral(literal: string, dtype: DType, index: () => string, file: string): number | bigint {
  const isBoolean = literal === "true" || literal === "false";
  if (isFloatDType(dtype)) {
    if (isBoolean) fail("NNX3036", file, `${literal} at ${index()} is not a number`);
    const value = Number(literal);
    if (dtype === "float16") return f32ToF16(value);
    if (dtype === "bfloat16") return f32ToBf16(value);
    return value;
  }
  if (dtype === "bool") {
    if (isBoolean) return literal === "true" ? 1 : 0;
    if (literal === "0" || literal === "1") return Number(literal);
    return fail("NNX3037", file, `${literal} at ${index()} is not a bool; write true, false, 0 or 1`);
  }
  if (isBoolean) fail("NNX3036", file, `${literal} at ${index()} is not a number`);
  const value = integerValue(literal);
  const [min, max] = integerRange(dtype)!;
  if (value === undefined) fail("NNX3037", file, `${literal} at ${index()} is not an integer, and the input is ${dtype}`);
  if (value < min || value > max) fail("NNX3037", file, `${literal} at ${index()} does not fit ${dtype} (range ${min}..${max})`);
  return dtype === "int64" || dtype === "uint64" ? value : Number(value);
}

/** Exact for integer literals of any size; "3.0" and "1e3" count as integers too. */
function integerValue(literal: string): bigint | undefined {
  if (INTEGER_LITERAL.test(literal)) return BigInt(literal);
  const value = Number(literal);
  return Number.isInteger(value) ? BigInt(value) : undefined;
}
