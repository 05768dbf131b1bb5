/**
 * readParamsFile for the package root's public API, declared here so the published types do
 * not pull in io/files.d.ts, whose file-handle types come from Node (`node:fs/promises`): a
 * consumer without @types/node must compile against the package root.
 */
import { readParamsFile as read } from "./files.js";
import type { Tensor } from "../tensor.js";

/** Parameters from a `.safetensors`, `.npz` or Flax msgpack file, by their names in the file. */
export function readParamsFile(file: string): Promise<Map<string, Tensor>> {
  return read(file);
}
