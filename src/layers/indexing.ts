/** Indexing and shape ops of jax.numpy (slice, split, expand_dims, ...), registered together. */
import type { LayerKind } from "./kind.js";
import { slice } from "./slice.js";
import { split } from "./split.js";

export const indexing: LayerKind<any>[] = [slice, split];
