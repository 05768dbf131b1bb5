/**
 * The few pieces of the WebAssembly binary format that nnx-gen's hand-written SIMD kernels
 * (threefry_simd.ts, normal_simd.ts) need: LEB128 integers, sections, a one-function module
 * exporting its code and a one-page memory, and synchronous instantiation where WebAssembly
 * and its SIMD are available. No toolchain, no file to fetch.
 */

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];

/** Value types. */
export const I32T = 0x7f, F64T = 0x7c, V128T = 0x7b;

/**
 * A module with one function of the given parameter types (no result), exported as `name`,
 * and one 64 KiB page of memory exported as `mem`. `locals` are (count, type) runs; `code`
 * the body without its final `end`.
 */
export function moduleBytes(name: string, params: number[], locals: [number, number][], code: number[]): Uint8Array {
  const str = (s: string) => vec([...s].map((ch) => [ch.charCodeAt(0)]));
  const body = [...vec(locals.map(([n, t]) => [...uleb(n), t])), ...code, 0x0b];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(params.map((t) => [t])), 0]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, 1]])),
    ...section(7, vec([[...str(name), 0x00, 0], [...str("mem"), 0x02, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

/** The part of the WebAssembly API used here (its types are not in the ES library). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** The module's function and memory, or undefined without WebAssembly SIMD (or on a refused compile). */
export function instantiate<F>(bytes: () => Uint8Array, name: string): { fn: F; memory: ArrayBuffer } | undefined {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm === undefined) return undefined;
  try {
    const { exports } = new wasm.Instance(new wasm.Module(bytes()), {});
    return { fn: exports[name] as F, memory: (exports["mem"] as { buffer: ArrayBuffer }).buffer };
  } catch {
    return undefined;
  }
}
