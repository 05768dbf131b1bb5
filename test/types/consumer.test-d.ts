/**
 * Type tests for generated modules, checked by `tsc -p test/types` (typecheck.test.ts).
 * Every `@ts-expect-error` must meet an error: an unused one fails the check, so a shape
 * mistake that stops being a compile error fails the suite. Nothing here is executed.
 */
import { fromFloat32, tensor, toFloat32, type Tensor } from "nnx-gen";
import { expectTypeOf } from "vitest";
import { TinyCnn, type TinyCnnInputs, type TinyCnnOutputs } from "../../fixtures/golden/tiny_cnn.js";
import { TextClassifier } from "../../fixtures/golden/text_classifier.js";
import { HTTPModel } from "./generated/http_model.js";
import { PairScorer } from "./generated/pair_scorer.js";
import { MixedFloats } from "./generated/mixed_floats.js";

/** A correct consumer compiles, and the static and symbolic dims flow into the outputs. */
export async function correctConsumer(pixels: Float32Array): Promise<number> {
  const model = await TinyCnn.create({ seed: 0 });
  const image = tensor("float32", [8, 28, 28, 1], pixels);
  expectTypeOf(image).toEqualTypeOf<Tensor<"float32", readonly [8, 28, 28, 1]>>();
  const { logits } = await model.run({ image });
  expectTypeOf(logits).toEqualTypeOf<Tensor<"float32", readonly [8, 10]>>();
  const annotated: Tensor<"float32", readonly [8, 10]> = logits;
  await model.release();
  return annotated.shape[1];
}

export async function otherWaysToCreate(weights: ReadonlyMap<string, Tensor>): Promise<void> {
  await TinyCnn.create({ params: "weights.safetensors" });
  await TinyCnn.create({ params: weights }, { threads: 2 });
  await TinyCnn.create({ params: new Map([["conv1.kernel", tensor("float32", [3, 3, 1, 32])]]) });
  // @ts-expect-error a source is required: a seed or params
  await TinyCnn.create({});
  // @ts-expect-error the constructor is private: models come from create()
  new TinyCnn();
}

/** A batch only known at run time is `number`, and so is the output's batch. */
export async function dynamicBatch(model: TinyCnn, n: number): Promise<void> {
  const { logits } = await model.run({ image: tensor("float32", [n, 28, 28, 1]) });
  expectTypeOf(logits).toEqualTypeOf<Tensor<"float32", readonly [number, 10]>>();
}

/** Generic code keeps the symbol: B in, B out. */
export async function genericBatch<B extends number>(model: TinyCnn, image: Tensor<"float32", readonly [B, 28, 28, 1]>): Promise<Tensor<"float32", readonly [B, 10]>> {
  return (await model.run({ image })).logits;
}

export function exportedTypes(): void {
  expectTypeOf<TinyCnnInputs<2>>().toEqualTypeOf<{ readonly image: Tensor<"float32", readonly [2, 28, 28, 1]> }>();
  expectTypeOf<TinyCnnOutputs<2>["logits"]>().toEqualTypeOf<Tensor<"float32", readonly [2, 10]>>();
  expectTypeOf<TinyCnn["run"]>().returns.resolves.toEqualTypeOf<TinyCnnOutputs<number>>();
}

// 1. A wrong static dim.
export async function wrongStaticDim(model: TinyCnn): Promise<void> {
  // @ts-expect-error width 27, the spec says 28
  await model.run({ image: tensor("float32", [8, 28, 27, 1]) });
  // @ts-expect-error rank 3, the spec says rank 4
  await model.run({ image: tensor("float32", [8, 28, 28]) });
  // @ts-expect-error HTTPModel is fully static: [4, 8], not [5, 8]
  await new Promise<HTTPModel>(() => {}).then((m) => m.run({ features: tensor("float32", [5, 8]) }));
}

// 2. A wrong dtype.
export async function wrongDtype(model: TinyCnn, classifier: TextClassifier): Promise<void> {
  // @ts-expect-error float64, the spec says float32
  await model.run({ image: tensor("float64", [8, 28, 28, 1]) });
  // @ts-expect-error token ids are int32, not float32
  await classifier.run({ tokens: tensor("float32", [2, 16]) });
  const { logits } = await classifier.run({ tokens: tensor("int32", [2, 16]) });
  expectTypeOf(logits).toEqualTypeOf<Tensor<"float32", readonly [2, 5]>>();
}

// 3. Inconsistent symbolic dims, with no annotation anywhere: batch is inferred from the first
// input only, so the second cannot widen it to 8 | 4.
export async function inconsistentSymbolicDims(model: PairScorer): Promise<void> {
  const query = tensor("float32", [8, 16, 32]);
  // @ts-expect-error batch 8 in query, 4 in context
  await model.run({ query, context: tensor("float32", [4, 16, 32]) });
  // @ts-expect-error seq 16 in query, 15 in context
  await model.run({ query, context: tensor("float32", [8, 15, 32]) });
  const { features, score } = await model.run({ query, context: tensor("float32", [8, 16, 32]) });
  // An output size that is arithmetic on a symbol ((seq + 1) // 2) is a plain number.
  expectTypeOf(features).toEqualTypeOf<Tensor<"float32", readonly [8, number, 16]>>();
  expectTypeOf(score).toEqualTypeOf<Tensor<"float32", readonly [8, 1]>>();
}

// 4. A wrong annotation of an output.
export async function wrongOutputAnnotation(model: TinyCnn): Promise<void> {
  const image = tensor("float32", [8, 28, 28, 1]);
  // @ts-expect-error the batch is 8, not 4
  const { logits: narrow }: { logits: Tensor<"float32", readonly [4, 10]> } = await model.run({ image });
  const result = await model.run({ image });
  // @ts-expect-error there are 10 classes, not 11
  const wide: Tensor<"float32", readonly [8, 11]> = result.logits;
  // @ts-expect-error the output is float32
  const ints: Tensor<"int32", readonly [8, 10]> = result.logits;
  // @ts-expect-error no output is called probs
  const { probs } = result;
  expectTypeOf([narrow, wide, ints, probs]).not.toBeNever();
}

export async function wrongInputNames(model: TinyCnn): Promise<void> {
  const image = tensor("float32", [1, 28, 28, 1]);
  // @ts-expect-error the input is called image
  await model.run({ picture: image });
  // @ts-expect-error an input the spec does not have
  await model.run({ image, mask: image });
}

// 5. 16-bit floats hold raw words in a Uint16Array; conversions keep the shape type.
export async function halfAndBrainFloats(model: MixedFloats, words: Uint16Array): Promise<number> {
  const brain = fromFloat32("bfloat16", tensor("float32", [2, 2, 3]));
  expectTypeOf(brain).toEqualTypeOf<Tensor<"bfloat16", readonly [2, 2, 3]>>();
  expectTypeOf(brain.data).toEqualTypeOf<Uint16Array>();
  const half = tensor("float16", [2, 4], words);
  const wide = tensor("float64", [3], new Float64Array(3));
  const { flat, pairs } = await model.run({ half, brain, wide });
  expectTypeOf(flat).toEqualTypeOf<Tensor<"bfloat16", readonly [2, 6]>>();
  expectTypeOf(pairs).toEqualTypeOf<Tensor<"float16", readonly [2, 2, 2]>>();
  const values = toFloat32(flat);
  expectTypeOf(values).toEqualTypeOf<Tensor<"float32", readonly [2, 6]>>();
  // @ts-expect-error the input is bfloat16, not float32
  await model.run({ half, brain: values, wide });
  // @ts-expect-error the input is float16: a bfloat16 tensor of the same words is another type
  await model.run({ half: tensor("bfloat16", [2, 4], words), brain, wide });
  // @ts-expect-error float16 data is a Uint16Array of words, not a Float32Array
  const wrong: Tensor<"float16", readonly [2]> = { dtype: "float16", shape: [2], data: new Float32Array(2) };
  // @ts-expect-error toFloat32 takes float tensors only
  toFloat32(tensor("int32", [1]));
  expectTypeOf(wrong).not.toBeNever();
  return values.data[0]!;
}
