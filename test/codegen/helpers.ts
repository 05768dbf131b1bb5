/** Small shared pieces of the codegen tests. */
import { expect, it } from "vitest";

/** One test per `[given, want]` row, titled as it.each titles it: `fn(given)` is `want`. */
export function itMaps<T>(title: string, fn: (given: T) => unknown, rows: readonly (readonly [T, unknown])[]): void {
  it.each(rows.map(([given, want]) => [given, want] as [T, unknown]))(title, (given, want) => {
    expect(fn(given)).toBe(want);
  });
}
