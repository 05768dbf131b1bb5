/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0): a magic string, a Python-literal header
 * {'descr', 'fortran_order', 'shape'} and the raw elements.
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { BYTES_PER_ELEMENT, transposeTensor, type DType, type Tensor } from "../tensor.js";
import { byteSize, ByteReader, checkShape, decodeTensor, encodeTensor, fail, formatShape } from "./binary.js";
import { dtypeFromNpyCode, NPY_CODES, npyCode } from "./dtypes.js";

/** "\x93NUMPY" */
const MAGIC = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
/** numpy aligns the start of the data to this many bytes. */
const ARRAY_ALIGN = 64;
const MAX_LITERAL_DEPTH = 8;

export function readNpy(bytes: Uint8Array, file: string): Tensor {
  const reader = new ByteReader(bytes, file);
  const prefix = bytes.subarray(0, MAGIC.length);
  if (prefix.length === 0 || prefix.some((b, i) => b !== MAGIC[i])) {
    fail("NNX3010", file, `not an .npy file: it starts with ${hex(prefix)}, expected 93 4e 55 4d 50 59 ("\\x93NUMPY")`);
  }
  reader.require(0, MAGIC.length + 2, "the .npy magic and version");
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3 || minor !== 0) fail("NNX3010", file, `unsupported .npy format version ${major}.${minor}; versions 1.0, 2.0 and 3.0 are read`);
  const headerStart = major === 1 ? 10 : 12;
  const headerLength = major === 1 ? reader.u16(8, "the header length") : reader.u32(8, "the header length");
  const headerBytes = reader.slice(headerStart, headerLength, `the ${headerLength}-byte header`);
  const header = parseHeader(decodeHeaderText(headerBytes, major, file), file);

  const { dtype, bigEndian } = parseDescr(header.descr, file);
  const dataStart = headerStart + headerLength;
  const expected = byteSize(dtype, header.shape);
  const available = bytes.length - dataStart;
  if (available < expected) {
    fail("NNX3004", file, `truncated: ${dtype} ${formatShape(header.shape)} needs ${expected} bytes of data after the header at offset ${dataStart}, the file has ${available}`);
  }
  if (available > expected) {
    fail("NNX3012", file, `${available - expected} unexpected bytes after the ${expected} bytes of ${dtype} ${formatShape(header.shape)} data`);
  }
  const data = bytes.subarray(dataStart);
  if (!header.fortranOrder) return decodeTensor(dtype, header.shape, data, file, "the array", bigEndian);
  // Fortran order is C order of the reversed shape; reversing the axes back gives C order.
  const reversed = decodeTensor(dtype, [...header.shape].reverse(), data, file, "the array", bigEndian);
  return reverseAxes(reversed);
}

/**
 * Writes format 1.0 (2.0 if the header needs it) exactly as numpy.save does; bfloat16 as
 * numpy with ml_dtypes writes it ('<V2', see io/dtypes.ts).
 */
export function writeNpy(t: Tensor, name = "array"): Uint8Array {
  const code = npyCode(t.dtype);
  // Every dtype has one; kept for a dtype added to DTYPES without a .npy form.
  if (code === undefined) fail("NNX3005", name, `${t.dtype} has no .npy dtype`, "cast it to float32 before saving");
  const descr = (BYTES_PER_ELEMENT[t.dtype] === 1 ? "|" : "<") + code;
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(", ")})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const data = encodeTensor(t, name);
  for (const major of [1, 2]) {
    const prefixLength = major === 1 ? 10 : 12;
    const padding = ARRAY_ALIGN - ((prefixLength + dict.length + 1) % ARRAY_ALIGN);
    const headerLength = dict.length + padding + 1;
    if (major === 1 && headerLength > 0xffff) continue;
    const out = new Uint8Array(prefixLength + headerLength + data.length);
    const view = new DataView(out.buffer);
    out.set(MAGIC);
    out[6] = major;
    if (major === 1) view.setUint16(8, headerLength, true);
    else view.setUint32(8, headerLength, true);
    out.set(new TextEncoder().encode(dict + " ".repeat(padding) + "\n"), prefixLength);
    out.set(data, prefixLength + headerLength);
    return out;
  }
  throw new Error("unreachable: a 2.0 header always fits");
}

interface NpyHeader {
  descr: PyValue;
  fortranOrder: boolean;
  shape: number[];
}

function decodeHeaderText(bytes: Uint8Array, major: number, file: string): string {
  // Versions 1 and 2 are latin1 by definition; 3 is UTF-8.
  if (major < 3) return new TextDecoder("latin1").decode(bytes);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return fail("NNX3011", file, "the version 3.0 header is not valid UTF-8");
  }
}

function parseHeader(text: string, file: string): NpyHeader {
  const value = parsePythonLiteral(text, file);
  if (!(value instanceof Map)) fail("NNX3011", file, `the header is not a dict: ${JSON.stringify(text.trim())}`);
  const keys = [...value.keys()].sort();
  if (keys.join() !== "descr,fortran_order,shape") {
    fail("NNX3011", file, `the header has the keys {${keys.join(", ")}}, expected exactly descr, fortran_order and shape`);
  }
  const fortranOrder = value.get("fortran_order");
  if (typeof fortranOrder !== "boolean") fail("NNX3011", file, `fortran_order is ${describePy(fortranOrder)}, expected True or False`);
  const shape = value.get("shape");
  if (!(shape instanceof PyTuple)) fail("NNX3011", file, `shape is ${describePy(shape)}, expected a tuple of integers`);
  return { descr: value.get("descr")!, fortranOrder, shape: checkShape(shape.items, "NNX3006", file, "the header") };
}

function parseDescr(descr: PyValue, file: string): { dtype: DType; bigEndian: boolean } {
  if (typeof descr !== "string") {
    fail("NNX3005", file, `descr is ${describePy(descr)}: structured dtypes are not supported`, "save one plain numeric array per file");
  }
  // `str(x.dtype)` of an ml_dtypes array: what hand-written headers use to keep the type.
  if (descr === "bfloat16") return { dtype: "bfloat16", bigEndian: false };
  const match = /^([<>|=]?)(.*)$/s.exec(descr)!;
  const order = match[1]!;
  const code = match[2]!;
  // A 2-byte void is ml_dtypes' bfloat16 ('<V2'); '|V2' (numpy's own np.void, e.g. after a
  // round trip through np.load) has no byte order and holds the bytes as the machine wrote
  // them: little-endian.
  if (code === "V2" && order === "|") return { dtype: "bfloat16", bigEndian: false };
  const dtype = dtypeFromNpyCode(code);
  if (dtype === undefined) {
    fail("NNX3005", file, `unsupported dtype '${descr}'${unsupportedKind(code)}; supported: ${NPY_CODES.join(" ")}`, descrHint(code));
  }
  if (BYTES_PER_ELEMENT[dtype] > 1 && order !== "<" && order !== ">") {
    fail("NNX3005", file, `dtype '${descr}' does not say its byte order; expected '<${code}' or '>${code}'`);
  }
  return { dtype, bigEndian: order === ">" };
}

function unsupportedKind(code: string): string {
  const kinds: Record<string, string> = { c: "complex", U: "unicode strings", S: "byte strings", O: "Python objects", V: "raw bytes", M: "datetimes", m: "timedeltas" };
  const kind = kinds[code[0] ?? ""];
  return kind === undefined ? "" : ` (${kind})`;
}

function descrHint(code: string): string | undefined {
  if (/^V1$|^f1$/.test(code)) return "ml_dtypes' 8-bit and 4-bit types are not supported; save it as float32 (x.astype(np.float32))";
  return undefined;
}

/** The transpose that reverses every axis: C-order data of the reversed shape back to C order. */
function reverseAxes(t: Tensor): Tensor {
  return t.shape.length < 2 ? t : transposeTensor(t, [...t.shape.keys()].reverse());
}

function hex(bytes: Uint8Array): string {
  return bytes.length === 0 ? "nothing (the file is empty)" : [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

// --- The Python literal subset numpy writes in headers: dicts, tuples, lists, str, int, True/False/None.

class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
type PyValue = string | number | boolean | null | PyTuple | PyValue[] | Map<string, PyValue>;

function describePy(value: PyValue | undefined): string {
  if (value instanceof PyTuple) return `a tuple of ${value.items.length}`;
  if (value instanceof Map) return "a dict";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === "boolean") return value ? "True" : "False";
  if (value === null) return "None";
  return value === undefined ? "missing" : JSON.stringify(value);
}

function parsePythonLiteral(text: string, file: string): PyValue {
  let pos = 0;
  const error = (what: string): never =>
    fail("NNX3011", file, `malformed header at character ${pos}: ${what} in ${JSON.stringify(text.trimEnd().slice(0, 200))}`);
  const skipSpace = (): void => {
    while (pos < text.length && " \t\r\n".includes(text[pos]!)) pos++;
  };
  const expect = (c: string): void => {
    skipSpace();
    if (text[pos] !== c) error(`expected '${c}'`);
    pos++;
  };
  /** Items up to `close`; reports whether the last one had a trailing comma. */
  const items = (close: string, depth: number): { values: PyValue[]; trailingComma: boolean } => {
    const values: PyValue[] = [];
    let trailingComma = false;
    for (;;) {
      skipSpace();
      if (text[pos] === close) {
        pos++;
        return { values, trailingComma };
      }
      values.push(value(depth + 1));
      skipSpace();
      trailingComma = text[pos] === ",";
      if (trailingComma) pos++;
      else if (text[pos] !== close) error(`expected ',' or '${close}'`);
    }
  };
  const value = (depth: number): PyValue => {
    if (depth > MAX_LITERAL_DEPTH) error("nested too deeply");
    skipSpace();
    const c = text[pos];
    if (c === "{") {
      pos++;
      const dict = new Map<string, PyValue>();
      for (;;) {
        skipSpace();
        if (text[pos] === "}") {
          pos++;
          return dict;
        }
        const key = value(depth + 1);
        if (typeof key !== "string") error("dict keys must be strings");
        if (dict.has(key as string)) error(`duplicate key '${key}'`);
        expect(":");
        dict.set(key as string, value(depth + 1));
        skipSpace();
        if (text[pos] === ",") pos++;
        else if (text[pos] !== "}") error("expected ',' or '}'");
      }
    }
    if (c === "(") {
      pos++;
      const { values, trailingComma } = items(")", depth);
      // (x) is just x; (x,) and () are tuples.
      return values.length === 1 && !trailingComma ? values[0]! : new PyTuple(values);
    }
    if (c === "[") {
      pos++;
      return items("]", depth).values;
    }
    if (c === "'" || c === '"') {
      let out = "";
      for (pos++; pos < text.length && text[pos] !== c; pos++) out += text[pos] === "\\" ? text[++pos] ?? "" : text[pos];
      if (pos >= text.length) error("unterminated string");
      pos++;
      return out;
    }
    const word = /^(-?\d+)L?|^[A-Za-z_]\w*/.exec(text.slice(pos, pos + 40));
    if (word !== null) {
      pos += word[0].length;
      if (word[1] !== undefined) return Number(word[1]);
      const constants: Record<string, PyValue> = { True: true, False: false, None: null };
      if (Object.hasOwn(constants, word[0])) return constants[word[0]]!;
      pos -= word[0].length;
      error(`unexpected name '${word[0]}'`);
    }
    return error(c === undefined ? "unexpected end" : `unexpected ${JSON.stringify(c)}`);
  };
  const result = value(0);
  skipSpace();
  if (pos < text.length) error("unexpected text after the dict");
  return result;
}
