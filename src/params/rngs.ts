/**
 * `nnx.Rngs(seed)` as Flax's constructors use it (`flax/nnx/rnglib.py`): one stream whose
 * every `rngs.params()` call returns `fold_in(key, count)` and increments `count`. Flax falls
 * back from `params` to the `default` stream that `nnx.Rngs(seed)` creates, so one counter runs
 * over the whole model in construction order.
 */
import { foldIn, seedKey, split, type Key, type PrngLayout } from "./threefry.js";

export class RngStream {
  private count = 0;

  constructor(readonly key: Key, readonly layout: PrngLayout = "partitionable") {}

  /** `nnx.Rngs(seed)`'s stream. */
  static fromSeed(seed: number | bigint, layout: PrngLayout = "partitionable"): RngStream {
    return new RngStream(seedKey(seed), layout);
  }

  /** The next key: `rngs.params()`. */
  next(): Key {
    const k = foldIn(this.key, this.count);
    this.count = (this.count + 1) >>> 0;
    return k;
  }

  /** How many keys have been drawn. */
  get drawn(): number {
    return this.count;
  }

  /**
   * `nnx.split_rngs(splits=n)` around an `nnx.vmap`-ped constructor (layers stacked on a
   * leading axis): one key drawn from this stream, split into n, and copy i builds from its
   * own stream on key i with a fresh count. Copy i's parameters are slice i of the stacked ones.
   */
  splitStreams(n: number): RngStream[] {
    return split(this.next(), n, this.layout).map((k) => new RngStream(k, this.layout));
  }
}
