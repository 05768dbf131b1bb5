import { describe, expect, it } from "vitest";
import { pascalCase, snakeCase, typeParamNames } from "../../src/codegen/names.js";
import { itMaps } from "./helpers.js";

describe("snakeCase (CONTRACT §2)", () => {
  itMaps("%s -> %s", snakeCase, [
    ["TwoTower", "two_tower"],
    ["Conv3dSame", "conv3d_same"],
    ["HTTPModel", "http_model"],
    ["TinyCnn", "tiny_cnn"],
    ["VideoConv3d", "video_conv3d"],
    ["Model", "model"],
    ["ABC", "abc"],
    ["MLP2", "mlp2"],
    ["Model2D", "model2_d"],
    ["ResNet50V2", "res_net50_v2"],
    ["GPTNeoX", "gpt_neo_x"],
    ["A", "a"],
  ]);
});

describe("type parameter names", () => {
  itMaps("%s -> %s", pascalCase, [
    ["batch", "Batch"],
    ["num_heads", "NumHeads"],
    ["h2", "H2"],
    ["_private", "Private"],
  ]);

  it("never shadow a type the signatures use, and never collide with each other", () => {
    const names = typeParamNames(["tensor", "promise", "a_b", "ab", "a__b", "_"], ["Tensor", "Promise"]);
    expect([...names.entries()]).toEqual([
      ["tensor", "TensorDim"],
      ["promise", "PromiseDim"],
      ["a_b", "AB"],
      ["ab", "Ab"],
      ["a__b", "ABDim"],
      ["_", "Dim"],
    ]);
  });
});
