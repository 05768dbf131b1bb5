import { describe, expect, it } from "vitest";
import { createProgressBar } from "../../src/bench/progress.js";

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, columns: 80, chunks, write: (c: string) => chunks.push(c) };
}

describe("progress bar", () => {
  it("writes nothing when stderr is not a terminal", () => {
    const s = stream(false);
    const bar = createProgressBar("bench", s);
    bar.update(0.5);
    bar.done();
    expect(s.chunks).toEqual([]);
  });

  it("draws on a terminal, skips unchanged percentages and clears at the end", () => {
    const s = stream(true);
    const bar = createProgressBar("bench", s);
    bar.update(0.5);
    bar.update(0.501);
    bar.update(1);
    bar.done();
    bar.done();
    expect(s.chunks).toHaveLength(3);
    expect(s.chunks[0]).toContain(" 50%");
    expect(s.chunks[1]).toContain("100%");
    expect(s.chunks[2]).toBe("\r\x1b[2K");
  });
});
