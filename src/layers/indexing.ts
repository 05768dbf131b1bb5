/** Indexing and shape ops of jax.numpy (slice, split, expand_dims, ...), registered together. */
import type { LayerKind } from "./kind.js";
import { arange } from "./arange.js";
import { broadcastTo } from "./broadcast_to.js";
import { expandDims, squeeze } from "./expand_squeeze.js";
import { oneHot } from "./one_hot.js";
import { param } from "./param.js";
import { slice } from "./slice.js";
import { split } from "./split.js";
import { take } from "./take.js";

export const indexing: LayerKind<any>[] = [slice, split, expandDims, squeeze, broadcastTo, take, oneHot, arange, param];
