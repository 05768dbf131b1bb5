/**
 * Reading parameter and input files from disk, and writing output files atomically.
 *
 * Diagnostic codes of src/io (titles in codes.ts). Every malformed or unreadable file is a
 * UserError "<file>: <what is wrong>" with one of these:
 *
 * | code    | meaning                                                                      |
 * | ------- | ---------------------------------------------------------------------------- |
 * | NNX3001 | file cannot be read: missing, a directory, not a regular file, no permission |
 * | NNX3002 | file (or a ZIP member) too large to load                                     |
 * | NNX3003 | unsupported file extension                                                   |
 * | NNX3004 | truncated: a header or the data runs past the end of the file                |
 * | NNX3005 | unsupported dtype (unknown, complex, structured, 8-bit ml_dtypes)          |
 * | NNX3006 | invalid shape, or the data size does not match dtype x shape                 |
 * | NNX3007 | duplicate tensor name                                                        |
 * | NNX3010 | .npy: bad magic or unsupported format version                                |
 * | NNX3011 | .npy: malformed header                                                       |
 * | NNX3012 | .npy: bytes after the array data                                             |
 * | NNX3015 | safetensors: header length larger than the file (or the 100 MB limit)        |
 * | NNX3016 | safetensors: header not UTF-8 JSON, not an object, malformed entry/metadata  |
 * | NNX3017 | safetensors: data_offsets out of range, wrong size, overlapping, gaps        |
 * | NNX3020 | ZIP: no end record (not a ZIP) or a record with a wrong signature            |
 * | NNX3021 | ZIP: inconsistent structure (offsets, sizes, local vs central, overlaps)     |
 * | NNX3022 | ZIP: unsupported feature (encryption, compression method, multi-disk)        |
 * | NNX3023 | ZIP: corrupt member data (CRC mismatch, bad deflate stream, wrong size)      |
 * | NNX3024 | .npz: a member that is not <name>.npy                                        |
 * | NNX3030 | msgpack: not valid msgpack                                                   |
 * | NNX3031 | msgpack: unexpected tree (root not a map, non-array leaf, too deep, clash)   |
 * | NNX3032 | msgpack: malformed array payload (not (shape, dtype, bytes), unknown ext)    |
 * | NNX3033 | msgpack: malformed chunked array                                             |
 * | NNX3035 | JSON input: syntax error                                                     |
 * | NNX3036 | JSON input: not a rectangular numeric array (ragged, strings, wrong rank)    |
 * | NNX3037 | a value does not fit the dtype (JSON value, integer narrowing, bool byte)    |
 * | NNX3038 | the file's dtype is not the expected one and cannot be converted            |
 * | NNX3040 | output file cannot be written                                                |
 */
import { constants as bufferConstants } from "node:buffer";
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open, readdir, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { mapFile } from "./native.js";
import { registerMappedFile } from "../runtime/mapped_files.js";
import path from "node:path";
import { errorMessage, UserError } from "../diagnostics/errors.js";
import type { DType, Tensor } from "../tensor.js";
import { fail, formatShape } from "../io/binary.js";
import { inputAs } from "../io/convert.js";
import { readJsonTensor } from "../io/json_input.js";
import { checkBytes, type ReadLimits } from "../io/limits.js";
import { readFlaxMsgpack } from "../io/msgpack.js";
import { readNpy } from "../io/npy.js";
import { readNpz } from "../io/npz.js";
import { readSafetensors } from "../io/safetensors.js";

/** 16 GiB, or less where this Node cannot hold a buffer that large. */
export const MAX_FILE_BYTES = Math.min(16 * 2 ** 30, bufferConstants.MAX_LENGTH);
/** One read call handles at most 2 GiB. */
const READ_CHUNK_BYTES = 2 ** 30;

const PARAMS_READERS: Record<string, (bytes: Uint8Array, file: string, limits?: ReadLimits) => Map<string, Tensor>> = {
  ".safetensors": readSafetensors,
  ".npz": readNpz,
  ".msgpack": readFlaxMsgpack,
};

/**
 * Parameters named "<layer>.<param>", read by the reader the extension names. With `limits`
 * (what the spec declares), a file holding more is refused before it is read or inflated.
 */
export async function readParamsFile(file: string, limits?: ReadLimits): Promise<Map<string, Tensor>> {
  const reader = PARAMS_READERS[extensionOf(file)];
  if (reader === undefined) {
    fail("NNX3003", file, `unsupported parameter file type "${extensionOf(file)}"; supported: ${Object.keys(PARAMS_READERS).join(", ")}`);
  }
  return reader(await readFileBytes(file, limits, { map: true }), file, limits);
}

export interface InputFileOptions {
  /** The input's name: the tensor a `.safetensors` file holds under it (else its only one). */
  readonly name?: string;
  /** The spec's `x64`: off (JAX's default), a float64 file is converted to a float32 input. */
  readonly x64?: boolean;
  /** Told when that conversion happens (as parameter files are). */
  readonly onNote?: (message: string) => void;
}

/**
 * A model input from .npy, .safetensors or .json, as `dtype`. An integer file of another width
 * is accepted when its values fit; with x64 off a float64 file for a float32 input is rounded
 * to float32 (nearest even), as `jnp.asarray` would; any other dtype difference is an error.
 */
export async function readInputFile(file: string, dtype: DType, expectedRank?: number, options: InputFileOptions = {}): Promise<Tensor> {
  const extension = extensionOf(file);
  if (extension !== ".npy" && extension !== ".json" && extension !== ".safetensors") {
    fail("NNX3003", file, `unsupported input file type "${extension}"; supported: .npy, .safetensors, .json`);
  }
  const bytes = await readFileBytes(file);
  if (extension === ".json") return readJsonTensor(decodeText(bytes, file), file, dtype, expectedRank);
  const read = extension === ".npy" ? readNpy(bytes, file) : pickInput(readSafetensors(bytes, file), file, options.name);
  const t = inputAs(read, dtype, file, options.x64);
  if (read.dtype === "float64" && t.dtype === "float32") options.onNote?.(`${file}: float64 converted to float32 (x64 is off, JAX's default; as jnp.asarray rounds it) for input ${options.name ?? ""}`.trimEnd());
  if (expectedRank !== undefined && t.shape.length !== expectedRank) {
    fail("NNX3006", file, `holds shape ${formatShape(t.shape)} but a rank-${expectedRank} array is expected`);
  }
  return t;
}

/** The tensor of a `.safetensors` input file: the one named as the input, else its only one. */
function pickInput(tensors: ReadonlyMap<string, Tensor>, file: string, name: string | undefined): Tensor {
  const named = name === undefined ? undefined : tensors.get(name);
  if (named) return named;
  if (tensors.size === 1) return [...tensors.values()][0]!;
  const held = [...tensors.keys()].slice(0, 8).join(", ");
  throw new UserError("NNX3070", `${file}: holds ${tensors.size} tensors (${held || "none"}) and none is named ${name ?? "after the input"}`, file, "name the tensor after the input, or keep one tensor in the file");
}

/**
 * Files at least this big are mapped rather than read when `map` is asked for: tensors decoded
 * in place then live in page-cache pages, with no copy into fresh memory (BENCHMARKS.md,
 * "Load time of big models").
 */
export const MAP_MIN_BYTES = 16 * 2 ** 20;

/**
 * The whole file; every way of failing is a UserError. With `map`, a big file is mapped
 * (copy-on-write: writes through the bytes never reach the file) when nnx-gen's binding can.
 */
export async function readFileBytes(file: string, limits?: ReadLimits, opts: { map?: boolean } = {}): Promise<Uint8Array> {
  let handle: FileHandle;
  try {
    // Non-blocking: opening a FIFO would otherwise wait for a writer before stat can refuse it.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return fail("NNX3001", file, `cannot be opened: ${fsProblem(e)}`);
  }
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) fail("NNX3001", file, "is a directory, not a file");
    if (!stats.isFile()) fail("NNX3001", file, "is not a regular file");
    if (stats.size > MAX_FILE_BYTES) fail("NNX3002", file, `is ${stats.size} bytes; files over ${MAX_FILE_BYTES} bytes are not loaded`);
    checkBytes(limits, stats.size, file, "is");
    const mapped = opts.map && stats.size >= MAP_MIN_BYTES ? mapFile(file, stats.size) : undefined;
    if (mapped) {
      const full = path.resolve(file);
      registerMappedFile(mapped.buffer, { dir: path.dirname(full), name: path.basename(full) });
      return mapped;
    }
    const bytes = new Uint8Array(stats.size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, Math.min(READ_CHUNK_BYTES, bytes.length - filled), filled);
      if (bytesRead === 0) break; // the file shrank since stat; the format check will see the short file
      filled += bytesRead;
    }
    return bytes.subarray(0, filled);
  } catch (e) {
    if (e instanceof UserError) throw e;
    return fail("NNX3001", file, `cannot be read: ${fsProblem(e)}`);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Writes to a temporary file in the same directory, then renames it over `file`, so readers
 * never see a half-written file and a failure leaves the old file (if any) untouched.
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  try {
    await replaceFile(file, bytes);
  } catch (e) {
    fail("NNX3040", file, `cannot be written: ${fsProblem(e)}`);
  }
}

/**
 * Write every file or none: each goes to a temporary file beside its target first; only when
 * all are written are they renamed into place. Temporaries are removed on failure.
 */
export async function writeFilesAtomic(files: readonly { path: string; bytes: Uint8Array }[]): Promise<void> {
  // rename() cannot replace a directory: refuse before anything is written.
  for (const f of files) {
    const st = await stat(f.path).catch(() => undefined);
    if (st?.isDirectory()) throw new UserError("NNX3040", `${f.path} cannot be written: it is a directory`);
  }
  const temps: string[] = [];
  for (const f of files) {
    try {
      temps.push(await stageFile(f.path, f.bytes));
    } catch (e) {
      await Promise.all(temps.map(removeQuietly));
      throw new UserError("NNX3040", `${f.path} cannot be written: ${fsProblem(e)}`);
    }
  }
  for (const [i, f] of files.entries()) {
    try {
      await rename(temps[i]!, f.path);
    } catch (e) {
      await Promise.all(temps.slice(i).map(removeQuietly));
      throw new UserError("NNX3040", `${f.path} cannot be written: ${fsProblem(e)}`);
    }
  }
}

/** What a staged file holds: bytes, or a writer for data too large for one buffer. */
export type FileContent = Uint8Array | ((handle: FileHandle) => Promise<void>);

/**
 * `content` staged beside `file`, then renamed over it. On failure the temporary is removed
 * and the fs error is rethrown, for the caller to report.
 */
export async function replaceFile(file: string, content: FileContent): Promise<void> {
  const temp = await stageFile(file, content);
  await rename(temp, file).catch(async (e: unknown) => {
    await removeQuietly(temp);
    throw e;
  });
}

/**
 * A fresh temporary file beside `file` (the same directory, so renaming it over `file` is
 * atomic) holding `content`, synced and closed; returns its name. On failure nothing is left
 * behind and the fs error is rethrown.
 */
async function stageFile(file: string, content: FileContent): Promise<string> {
  await removeStaleTemps(file);
  const temp = tempPathFor(file);
  const handle = await open(temp, "wx");
  try {
    await (content instanceof Uint8Array ? handle.writeFile(content) : content(handle));
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => undefined);
    await removeQuietly(temp);
    throw e;
  }
  await handle.close().catch(async (e: unknown) => {
    await removeQuietly(temp);
    throw e;
  });
  return temp;
}

/** A name for a temporary file beside `file`, unique to this process and call. */
export function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
}

/**
 * Temporaries of `file` left by a process that no longer runs (killed with SIGKILL mid-write,
 * which no handler sees): removed by the next write of the same file. A live process's
 * temporaries are left alone.
 */
async function removeStaleTemps(file: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name.slice(prefix.length));
    if (m && !processRuns(Number(m[1]))) await removeQuietly(path.join(dir, name));
  }
}

function processRuns(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, as another user.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function removeQuietly(file: string): Promise<void> {
  return unlink(file).catch(() => undefined);
}

function extensionOf(file: string): string {
  return path.extname(file).toLowerCase();
}

function decodeText(bytes: Uint8Array, file: string): string {
  if (bytes.length > bufferConstants.MAX_STRING_LENGTH) fail("NNX3002", file, `is ${bytes.length} bytes, too large to read as text`);
  try {
    // ignoreBOM: false (the default) drops a leading byte-order mark.
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return fail("NNX3035", file, "is not valid UTF-8 text");
  }
}

const FS_PROBLEMS: Record<string, string> = {
  ENOENT: "no such file or directory",
  EISDIR: "it is a directory",
  ENOTDIR: "a part of the path is not a directory",
  EEXIST: "a file of that name is in the way",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "the path is too long",
  EMFILE: "too many open files",
  ENOSPC: "no space left on the device",
  EROFS: "the file system is read-only",
  EIO: "input/output error",
};

/** A file system error in words: the common codes phrased, any other as Node reports it. */
export function fsProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return (code !== undefined ? FS_PROBLEMS[code] : undefined) ?? errorMessage(e);
}
