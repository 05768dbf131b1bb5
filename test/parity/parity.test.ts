/**
 * Every Flax parity case (fixtures/parity: Flax's own test values and the independent NumPy
 * oracle) through the built CLI, from .safetensors and from .npz / .msgpack where present, on
 * both bindings to onnxruntime.
 */
import { paritySuite } from "./helpers.js";

paritySuite("Flax parity through the built CLI", "parity", { fallbackBinding: true });
