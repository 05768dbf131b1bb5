/** NumPy .npz archives: a ZIP of `<key>.npy` members (numpy.savez / savez_compressed). */
import type { Tensor } from "../tensor.js";
import { entriesOf, fail, withFile } from "./binary.js";
import { readNpy, writeNpy } from "./npy.js";
import type { ReadLimits } from "./limits.js";
import { readZip, writeZip } from "./zip.js";

const SUFFIX = ".npy";

/** Keys are the member names without ".npy", as numpy.load gives them. */
export function readNpz(bytes: Uint8Array, file: string, limits?: ReadLimits): Map<string, Tensor> {
  const tensors = new Map<string, Tensor>();
  for (const { name, data } of readZip(bytes, file, limits)) {
    if (name.endsWith("/") && data.length === 0) continue; // a directory entry
    if (!name.endsWith(SUFFIX)) fail("NNX3024", file, `member "${name}" is not an .npy array; an .npz holds only <name>.npy members`);
    const key = name.slice(0, -SUFFIX.length);
    if (tensors.has(key)) fail("NNX3007", file, `the archive holds "${name}" more than once`);
    // Errors name the member, but keep the archive as the file to fix.
    tensors.set(key, withFile(file, () => readNpy(data, `${file}:${name}`)));
  }
  return tensors;
}

/** Writes what numpy.savez writes (stored members), readable by numpy.load. */
export function writeNpz(tensors: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>): Uint8Array {
  return writeZip(entriesOf(tensors).map(([key, t]) => ({ name: key + SUFFIX, data: writeNpy(t, key) })));
}
