/**
 * `--plot FILE.svg`: median latency (with min..p90 bars) and GFLOP/s against a dim, usually
 * the batch size, in two stacked panels sharing the x axis. Results that differ in other dims
 * or thread counts become separate lines. The SVG is self-contained (no fonts, scripts or
 * external references) and deterministic: the same report always gives the same bytes.
 */

import { formatDims, formatNumber, type BenchReport, type BenchResult } from "./report.js";

export interface PlotOptions {
  /** The dim on the x axis. Default: the first dim whose value varies across results. */
  readonly xDim?: string;
}

const WIDTH = 760;
const HEIGHT = 620;
const LEFT = 80;
const RIGHT = WIDTH - 24;
const PANELS = [
  { top: 84, bottom: 300 },
  { top: 364, bottom: 560 },
] as const;
/** Colour-blind-safe (Okabe-Ito). */
const COLORS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000"];

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/** Pixel coordinates with two decimals, so output is stable and small. */
const px = (v: number): string => String(Math.round(v * 100) / 100);

interface Axis {
  readonly toPx: (v: number) => number;
  readonly ticks: readonly number[];
}

function niceStep(span: number): number {
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

function linearAxis(lo: number, hi: number, pxLo: number, pxHi: number, fromZero: boolean): Axis {
  if (fromZero) lo = Math.min(0, lo);
  if (hi <= lo) hi = lo + (lo === 0 ? 1 : Math.abs(lo));
  const step = niceStep(hi - lo);
  const start = Math.floor(lo / step) * step;
  const end = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let i = 0; start + i * step <= end + step * 1e-9; i++) ticks.push(Number((start + i * step).toPrecision(12)));
  return { toPx: (v) => pxLo + ((v - start) / (end - start)) * (pxHi - pxLo), ticks };
}

/** Log axis; ticks at `preferred` when given, else at 1-2-5 multiples of powers of ten. */
function logAxis(lo: number, hi: number, pxLo: number, pxHi: number, preferred?: readonly number[]): Axis {
  const a = Math.log(lo) - 0.15 * Math.max(Math.log(hi / lo), 1);
  const b = Math.log(hi) + 0.15 * Math.max(Math.log(hi / lo), 1);
  let ticks = preferred;
  if (!ticks) {
    const t: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of [1, 2, 5]) {
        const v = Number((m * 10 ** e).toPrecision(12));
        if (Math.log(v) >= a && Math.log(v) <= b) t.push(v);
      }
    }
    ticks = t;
  }
  return { toPx: (v) => pxLo + ((Math.log(v) - a) / (b - a)) * (pxHi - pxLo), ticks };
}

interface Point {
  readonly x: number;
  readonly r: BenchResult;
}
interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: readonly Point[];
}

function pickXDim(results: readonly BenchResult[], wanted?: string): string | undefined {
  if (wanted !== undefined) {
    if (!results.every((r) => r.dims[wanted] !== undefined)) throw new RangeError(`plot: not every result has dim "${wanted}"`);
    return wanted;
  }
  const names = Object.keys(results[0]?.dims ?? {});
  return names.find((n) => new Set(results.map((r) => r.dims[n])).size > 1) ?? names[0];
}

/** Group results into lines by everything but the x dim; label lines by what differs between them. */
function buildSeries(results: readonly BenchResult[], xDim: string | undefined): Series[] {
  const groups = new Map<string, { rest: Record<string, number>; threads: number; points: Point[] }>();
  results.forEach((r, i) => {
    const rest = Object.fromEntries(Object.entries(r.dims).filter(([k]) => k !== xDim));
    const key = `${formatDims(rest)}|${r.threads}`;
    const g = groups.get(key) ?? { rest, threads: r.threads, points: [] };
    g.points.push({ x: xDim === undefined ? i + 1 : r.dims[xDim]!, r });
    groups.set(key, g);
  });
  const list = [...groups.values()];
  const threadsVary = new Set(list.map((g) => g.threads)).size > 1;
  return list.map((g, i) => {
    const parts = Object.keys(g.rest).length > 0 ? [formatDims(g.rest)] : [];
    if (threadsVary) parts.push(`${g.threads} thread${g.threads === 1 ? "" : "s"}`);
    return {
      label: parts.join(", "),
      color: COLORS[i % COLORS.length]!,
      points: [...g.points].sort((p, q) => p.x - q.x),
    };
  });
}

function xAxisFor(xs: readonly number[]): Axis {
  const distinct = [...new Set(xs)].sort((a, b) => a - b);
  const lo = distinct[0]!;
  const hi = distinct[distinct.length - 1]!;
  // Batch sizes are usually powers of two: spread them evenly when they span a few octaves.
  if (lo > 0 && (hi / lo >= 4 || distinct.length === 1)) {
    return logAxis(lo, hi, LEFT, RIGHT, distinct.length <= 12 ? distinct : undefined);
  }
  const pad = (hi - lo) * 0.05;
  const axis = linearAxis(lo - pad, hi + pad, LEFT, RIGHT, false);
  return distinct.length <= 12 ? { toPx: axis.toPx, ticks: distinct } : axis;
}

function yAxisFor(values: readonly number[], top: number, bottom: number): Axis {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  // Latency across batch sizes can span decades; a linear axis would flatten the small ones.
  if (lo > 0 && hi / lo > 30) return logAxis(lo, hi, bottom, top);
  return linearAxis(0, hi * 1.05, bottom, top, true);
}

function panel(
  out: string[],
  box: (typeof PANELS)[number],
  title: string,
  x: Axis,
  y: Axis,
  drawXLabels: boolean,
): void {
  out.push(`<text x="${LEFT}" y="${box.top - 10}" font-size="13" font-weight="bold">${escapeXml(title)}</text>`);
  out.push(`<rect x="${LEFT}" y="${box.top}" width="${RIGHT - LEFT}" height="${box.bottom - box.top}" fill="none" stroke="#444"/>`);
  for (const t of y.ticks) {
    const ty = px(y.toPx(t));
    out.push(`<line x1="${LEFT}" y1="${ty}" x2="${RIGHT}" y2="${ty}" stroke="#e4e4e4"/>`);
    out.push(`<line x1="${LEFT - 5}" y1="${ty}" x2="${LEFT}" y2="${ty}" stroke="#444"/>`);
    out.push(`<text x="${LEFT - 8}" y="${ty}" dy="4" text-anchor="end" font-size="11">${escapeXml(formatNumber(t))}</text>`);
  }
  for (const t of x.ticks) {
    const tx = px(x.toPx(t));
    out.push(`<line x1="${tx}" y1="${box.bottom}" x2="${tx}" y2="${box.bottom + 5}" stroke="#444"/>`);
    if (drawXLabels) {
      out.push(`<text x="${tx}" y="${box.bottom + 18}" text-anchor="middle" font-size="11">${escapeXml(formatNumber(t))}</text>`);
    }
  }
}

function line(out: string[], s: Series, x: Axis, y: Axis, value: (r: BenchResult) => number): void {
  const coords = s.points.map((p) => [px(x.toPx(p.x)), px(y.toPx(value(p.r)))] as const);
  if (coords.length > 1) {
    out.push(`<polyline points="${coords.map(([cx, cy]) => `${cx},${cy}`).join(" ")}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
  }
  for (const [cx, cy] of coords) out.push(`<circle class="point" cx="${cx}" cy="${cy}" r="3.5" fill="${s.color}"/>`);
}

export function plotSvg(report: BenchReport, opts: PlotOptions = {}): string {
  const results = report.results;
  if (results.length === 0) throw new RangeError("plot: no results");
  const xDim = pickXDim(results, opts.xDim);
  const series = buildSeries(results, xDim);
  const x = xAxisFor(series.flatMap((s) => s.points.map((p) => p.x)));
  const [latBox, gfBox] = PANELS;

  const latency = yAxisFor(results.flatMap((r) => [r.latency_ms.min, r.latency_ms.p90]), latBox.top, latBox.bottom);
  // Show the peak as a line when it fits without squashing the data; otherwise only name it.
  const maxGflops = Math.max(...results.map((r) => r.gflops));
  const peak = report.peak;
  const peakShown = peak !== undefined && peak.gflops <= 2.5 * maxGflops;
  const gflops = yAxisFor([...results.map((r) => r.gflops), ...(peakShown ? [peak.gflops] : [])], gfBox.top, gfBox.bottom);

  const env = report.environment;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif">`,
    `<title>${escapeXml(`${report.model} benchmark`)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="24" font-size="16" font-weight="bold">${escapeXml(`${report.model} on ${report.backend}`)}</text>`,
    `<text x="${LEFT}" y="42" font-size="11" fill="#555">${escapeXml(`${env.cpu_model}, ${env.cores} cores, Node ${env.node_version}, ${env.date}`)}</text>`,
  ];
  series.forEach((s, i) => {
    if (series.length < 2) return;
    const lx = LEFT + i * 150;
    out.push(`<line x1="${lx}" y1="56" x2="${lx + 18}" y2="56" stroke="${s.color}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 24}" y="60" font-size="11">${escapeXml(s.label)}</text>`);
  });

  panel(out, latBox, "Latency, ms (median; bars: min to p90)", x, latency, false);
  for (const s of series) {
    for (const p of s.points) {
      const bx = px(x.toPx(p.x));
      out.push(`<line x1="${bx}" y1="${px(latency.toPx(p.r.latency_ms.min))}" x2="${bx}" y2="${px(latency.toPx(p.r.latency_ms.p90))}" stroke="${s.color}" stroke-opacity="0.5" stroke-width="6"/>`);
    }
    line(out, s, x, latency, (r) => r.latency_ms.p50);
  }

  const peakNote = peak === undefined ? "" : `; peak ${formatNumber(peak.gflops)} GFLOP/s, ${peak.label}${peakShown ? "" : ", off scale"}`;
  panel(out, gfBox, `GFLOP/s (from median latency${peakNote})`, x, gflops, true);
  if (peakShown) {
    const py = px(gflops.toPx(peak.gflops));
    out.push(`<line x1="${LEFT}" y1="${py}" x2="${RIGHT}" y2="${py}" stroke="#888" stroke-dasharray="6 4"/>`);
  }
  for (const s of series) line(out, s, x, gflops, (r) => r.gflops);

  const xLabel = xDim ?? "configuration";
  out.push(`<text x="${px((LEFT + RIGHT) / 2)}" y="${gfBox.bottom + 40}" text-anchor="middle" font-size="12">${escapeXml(xLabel)}</text>`);
  for (const [box, label] of [[latBox, "ms"], [gfBox, "GFLOP/s"]] as const) {
    const cy = px((box.top + box.bottom) / 2);
    out.push(`<text x="20" y="${cy}" transform="rotate(-90 20 ${cy})" text-anchor="middle" font-size="12">${label}</text>`);
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
