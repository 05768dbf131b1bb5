/**
 * The extra parity cases (fixtures/parity_extra, written by make_extra.py from the float64
 * NumPy oracle): every Conv / Linear / LinearGeneral / Einsum / Embed option the base cases do
 * not use, every stateless op, pooling after flax.linen.pooling, and a multi-layer model with a
 * symbolic batch dim. No Python is needed: the expected outputs are committed .npy files.
 */
import { paritySuite } from "./helpers.js";

paritySuite("Flax parity, extra cases, through the built CLI", "parity_extra");
