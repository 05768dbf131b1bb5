import { chmod, mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readInputFile, readParamsFile, writeFileAtomic } from "../../src/node/files.js";
import { expectUserErrorAsync, fixture } from "./helpers.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "nnx-io-"));
  for (const name of ["einsum_ellipsis.safetensors", "einsum_ellipsis.npz", "einsum_ellipsis.msgpack", "i64_small.npy", "f32_2x3.npy"]) {
    await writeFile(path.join(dir, name), fixture(name));
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("readParamsFile", () => {
  it.each(["safetensors", "npz", "msgpack"])("chooses the reader by extension (.%s)", async (extension) => {
    const tensors = await readParamsFile(path.join(dir, `einsum_ellipsis.${extension}`));
    expect([...tensors.keys()].sort()).toEqual(["mix.bias", "mix.kernel"]);
  });

  it("rejects other extensions, listing the supported ones", async () => {
    await expectUserErrorAsync(() => readParamsFile(path.join(dir, "f32_2x3.npy")), "NNX3003", /unsupported parameter file type "\.npy"; supported: \.safetensors, \.npz, \.msgpack/);
  });

  it("reports a missing file, a directory and a device as UserErrors", async () => {
    await expectUserErrorAsync(() => readParamsFile(path.join(dir, "missing.safetensors")), "NNX3001", /missing\.safetensors: cannot be opened: no such file or directory/);
    await mkdir(path.join(dir, "folder.npz"));
    await expectUserErrorAsync(() => readParamsFile(path.join(dir, "folder.npz")), "NNX3001", /is a directory/);
    await expectUserErrorAsync(() => readParamsFile(path.join(dir, "f32_2x3.npy", "x.npz")), "NNX3001", /not a directory/);
  });

  it.skipIf(process.getuid?.() === 0)("reports a file it may not read", async () => {
    const locked = path.join(dir, "locked.safetensors");
    await writeFile(locked, fixture("einsum_ellipsis.safetensors"));
    await chmod(locked, 0o000);
    await expectUserErrorAsync(() => readParamsFile(locked), "NNX3001", /permission denied/);
  });

  it("refuses absurdly large files without reading them", async () => {
    const huge = path.join(dir, "huge.safetensors");
    const handle = await open(huge, "w");
    await handle.truncate(17 * 2 ** 30); // sparse: no disk space used
    await handle.close();
    await expectUserErrorAsync(() => readParamsFile(huge), "NNX3002", /is 18253611008 bytes/);
  });

  it("passes format errors through with the path", async () => {
    const broken = path.join(dir, "broken.msgpack");
    await writeFile(broken, Uint8Array.of(0x81));
    await expectUserErrorAsync(() => readParamsFile(broken), "NNX3030", new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `));
  });
});

describe("readInputFile", () => {
  it("reads .npy, narrowing integers whose values fit", async () => {
    const t = await readInputFile(path.join(dir, "i64_small.npy"), "int32");
    expect([t.dtype, Array.from(t.data as Int32Array)]).toEqual(["int32", [7, -8, 2147483647]]);
    await expectUserErrorAsync(() => readInputFile(path.join(dir, "i64_small.npy"), "int16"), "NNX3037", /value 2147483647 at index \[2\] does not fit int16/);
  });

  it("refuses another float dtype, and checks the rank", async () => {
    await expectUserErrorAsync(() => readInputFile(path.join(dir, "f32_2x3.npy"), "float64"), "NNX3038");
    await expectUserErrorAsync(() => readInputFile(path.join(dir, "f32_2x3.npy"), "float32", 3), "NNX3006", /holds shape \[2, 3\] but a rank-3 array is expected/);
  });

  it("reads .json (with a byte-order mark) and rejects invalid UTF-8", async () => {
    const json = path.join(dir, "x.json");
    await writeFile(json, "\ufeff[[1, 2], [3, 4]]");
    const t = await readInputFile(json, "float32", 2);
    expect([t.shape, Array.from(t.data as Float32Array)]).toEqual([[2, 2], [1, 2, 3, 4]]);
    await writeFile(json, Uint8Array.of(0x5b, 0xff, 0x5d));
    await expectUserErrorAsync(() => readInputFile(json, "float32"), "NNX3035", /not valid UTF-8/);
  });

  it("rejects other extensions", async () => {
    await expectUserErrorAsync(() => readInputFile(path.join(dir, "einsum_ellipsis.npz"), "float32"), "NNX3003", /supported: \.npy, \.safetensors, \.json/);
  });
});

describe("writeFileAtomic", () => {
  it("writes and replaces files, leaving no temporary files", async () => {
    const out = path.join(dir, "atomic", "out.bin");
    await mkdir(path.dirname(out));
    await writeFileAtomic(out, Uint8Array.of(1, 2, 3));
    await writeFileAtomic(out, Uint8Array.of(4, 5));
    expect([...(await readFile(out))]).toEqual([4, 5]);
    expect(await readdir(path.dirname(out))).toEqual(["out.bin"]);
  });

  it("fails with a UserError and cleans up when the file cannot be written", async () => {
    await expectUserErrorAsync(() => writeFileAtomic(path.join(dir, "no-such-dir", "out.bin"), Uint8Array.of(1)), "NNX3040", /no such file or directory/);
    const target = path.join(dir, "atomic-dir");
    await mkdir(path.join(target, "occupied"), { recursive: true });
    await expectUserErrorAsync(() => writeFileAtomic(target, Uint8Array.of(1)), "NNX3040", /cannot be written/);
    expect((await readdir(dir)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });
});
