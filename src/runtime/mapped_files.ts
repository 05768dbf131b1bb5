/**
 * Which host buffers are a parameter file mapped into memory (registered by the host that
 * mapped it, see node/files.ts). A backend that reads initializers from files itself
 * (Backend.mapsExternalFiles) gets those tensors as references into the file instead of
 * bytes: onnxruntime then maps the file too and uses its pages in place, so a big checkpoint
 * is never copied on its way into the session (BENCHMARKS.md, "Load time of big models").
 * Runtime-neutral: no file access here, only the bookkeeping.
 */

/** A mapped file: its folder and its name within that folder, as the host spells them. */
export interface MappedFile {
  readonly dir: string;
  readonly name: string;
}

const mapped = new WeakMap<ArrayBufferLike, MappedFile>();

/** Record that `buffer` holds the whole file `name` in `dir`, byte 0 of the file at byte 0 of the buffer. */
export function registerMappedFile(buffer: ArrayBufferLike, file: MappedFile): void {
  mapped.set(buffer, file);
}

/** The file a buffer maps, if a host registered one. */
export function mappedFileOf(buffer: ArrayBufferLike): MappedFile | undefined {
  return mapped.get(buffer);
}
