/** ONNX model building: the builder and the Flax-semantics op helpers. */

export { GraphBuilder, IR_VERSION, OPSET, float, floats, onnxDType, tensorAttr, tensorBytes, type Attr, type Attrs, type BuildOptions, type BuiltModel, type Dim } from "./graph.js";
export { gelu, leakyRelu, logSoftmax, relu, sigmoid, silu, softmax, tanh } from "./ops_activation.js";
export { convNhwc, type ConvOptions, type ConvPadding } from "./ops_conv.js";
export { attend, embedLookup, type EmbedOptions } from "./ops_embed.js";
export { einsum, linear, linearGeneral, linearGeneralEquation, type EinsumOptions, type LinearGeneralOptions } from "./ops_linear.js";
export { add, div, mul, reduce, sub, type Reduction } from "./ops_math.js";
export { avgPool, maxPool, type PoolOptions } from "./ops_pool.js";
export { INT64_MAX, cast, concat, reshape, shapeOf, slice, squeeze, toChannelsFirst, toChannelsLast, transpose, unsqueeze, withOneBatchDim } from "./ops_shape.js";
export { samePads, type Pair, type WindowPadding } from "./ops_spatial.js";
