/**
 * Weight pre-packing: whether onnxruntime copies the weights of its MatMul/Gemm kernels into
 * panels laid out for them when the session is created (its default), or the kernels read the
 * weights where they lie and pack each panel again at every run (ORT's
 * `session.disable_prepacking`). Measured in BENCHMARKS.md ("Pre-packing weights"):
 *
 * - Packing writes a second copy of those weights into fresh memory. On the 2-core VM there a
 *   first touch of a fresh 4 KiB page costs ~15 us, so GPT-2 small's 494 MB of packed weights
 *   take ~2 s of CPU at load, most of its load time.
 * - Unpacked, the weights stay in the mapped parameter file, and every run repacks them: GPT-2
 *   small ran 1.1x slower on a quiet machine, 1.3-2x under load; ViT-B/16 1.6x under load;
 *   ResNet-18 (convolutions) not measurably.
 * - The two ways sum in a different order (MLAS packs 256 rows of K at a time, 128 unpacked),
 *   so outputs can differ in the last bits; each way is deterministic.
 *
 * "auto" packs unless the parameters take more than PREPACK_AUTO_MAX_BYTES: below it, packing
 * costs at most ~1.7 s of load on that VM and pays back within a few runs; above it, load time
 * is what a user waits for, and "on" is one option away for long-lived sessions.
 */

import { UsageError } from "../diagnostics/errors.js";

/** "auto": pack when the parameters take at most PREPACK_AUTO_MAX_BYTES; "on"/"off": always/never. */
export type PrepackChoice = "auto" | "on" | "off";

export const PREPACK_CHOICES: readonly PrepackChoice[] = ["auto", "on", "off"];

/** 384 MiB: ResNet-18 (47 MB) and ViT-B/16 (346 MB) are packed, GPT-2 small (498 MB) is not. */
export const PREPACK_AUTO_MAX_BYTES = 384 * 2 ** 20;

/** Whether the session should pre-pack weights, for a choice and the bytes of the model's parameters. */
export function prepackWeights(choice: PrepackChoice, paramBytes: number): boolean {
  if (!PREPACK_CHOICES.includes(choice)) throw new UsageError(`prepack must be one of ${PREPACK_CHOICES.join(", ")}, not ${JSON.stringify(choice)}`);
  return choice === "auto" ? paramBytes <= PREPACK_AUTO_MAX_BYTES : choice === "on";
}
