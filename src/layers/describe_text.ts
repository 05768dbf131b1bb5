/**
 * Text pieces for the layer descriptions (`LayerKind.describe`): short, nnx.tabulate-style,
 * showing only what differs from Flax's defaults, so the common case reads like the spec.
 */

/** `name(a, b)`. */
export function call(name: string, args: readonly string[]): string {
  return `${name}(${args.join(", ")})`;
}

/** `[1, 2]`. */
export function list(xs: readonly number[]): string {
  return `[${xs.join(", ")}]`;
}

/** `[[0, 1], [1, 0]]`. */
export function pairs(ps: readonly (readonly [number, number])[]): string {
  return `[${ps.map(([lo, hi]) => `[${lo}, ${hi}]`).join(", ")}]`;
}

/** `axis 3` for one axis, `axes 1, 2` for several. */
export function axes(xs: readonly number[]): string {
  return xs.length === 1 ? `axis ${xs[0]}` : `axes ${xs.join(", ")}`;
}

/** `strides 2` when uniform, `strides 1x2x2` otherwise; nothing for the default of ones. */
export function unlessOnes(label: string, xs: readonly number[]): string[] {
  if (xs.every((x) => x === 1)) return [];
  return [`${label} ${xs.every((x) => x === xs[0]) ? xs[0] : xs.join("x")}`];
}

/** `no bias` when the bias is off; nothing for the default. */
export function noBias(useBias: boolean): string[] {
  return useBias ? [] : ["no bias"];
}
