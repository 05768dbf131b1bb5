import { describe, expect, it } from "vitest";
import { escapeXml, plotSvg } from "../../src/bench/plot.js";
import { PEAK, report, result } from "./helpers.js";

/**
 * A strict-enough XML well-formedness check for generated SVG: every tag closes in order,
 * attributes are quoted, and text holds no raw `<` or stray `&`. Returns the element names.
 */
function checkWellFormed(xml: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  const text = (s: string) => {
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(s)) throw new Error(`bad entity in ${JSON.stringify(s)}`);
  };
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    if (lt < 0) {
      text(xml.slice(i));
      break;
    }
    text(xml.slice(i, lt));
    tag.lastIndex = lt;
    const m = tag.exec(xml);
    if (!m) throw new Error(`malformed tag at ${lt}: ${xml.slice(lt, lt + 40)}`);
    const [, close, name, attrs, selfClose] = m;
    for (const a of attrs!.matchAll(/"([^"]*)"/g)) text(a[1]!);
    if (close) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes the wrong element`);
    } else {
      names.push(name!);
      if (!selfClose) stack.push(name!);
    }
    i = tag.lastIndex;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join(">, <")}>`);
  return names;
}

const batches = [1, 2, 4, 8, 16];
const many = (seq: number) => batches.map((b) => result({ batch: b, seq }, 0.5 * b * (seq / 64), { peakGflops: 100 }));

describe("plotSvg", () => {
  it("is well-formed XML with one point per result in each panel", () => {
    const svg = plotSvg(report([...many(64), ...many(128)], { peak: PEAK }));
    const names = checkWellFormed(svg);
    expect(names[0]).toBe("svg");
    expect(names.filter((n) => n === "circle")).toHaveLength(2 * 10);
    expect(names.filter((n) => n === "polyline")).toHaveLength(2 * 2); // two series, two panels
    expect(svg).toContain("seq=64");
    expect(svg).toContain(">batch</text>");
  });

  it("is deterministic", () => {
    const r = report(many(64), { peak: PEAK });
    expect(plotSvg(r)).toBe(plotSvg(r));
  });

  it("escapes text and handles a single result and a model without dims", () => {
    const one = plotSvg(report([result({}, 3)], { model: "A<&>\"'B" }));
    checkWellFormed(one);
    expect(one).toContain("A&lt;&amp;&gt;&quot;&apos;B");
    expect(one.match(/<circle/g)).toHaveLength(2);
    expect(escapeXml("<a & b>")).toBe("&lt;a &amp; b&gt;");
  });

  it("rejects an x dim that some result lacks", () => {
    expect(() => plotSvg(report(many(64)), { xDim: "height" })).toThrow(RangeError);
  });
});
