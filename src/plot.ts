/**
 * Pictures of measurements: a figure of panels stacked top to bottom (lines, points, histogram
 * bars, each panel with its axes, ticks, labels and legend) written as SVG by code, and
 * rasterised to PNG by resvg (the `@resvg/resvg-wasm` package: WebAssembly, so the same in Bun
 * and Deno, with no native addon). This is a separate entry point (`rtmixer/plot`), so that the
 * core module (`mod.ts`) stays free of dependencies: resvg is loaded on the first PNG.
 *
 * ```ts
 * import { histogram, savePicture } from "rtmixer/plot";
 *
 * const t = Array.from({ length: 480 }, (_, i) => i / 48000);
 * await savePicture("tone.png", {
 *   panels: [
 *     { title: "A tone", xLabel: "time (s)", lines: [{ x: t, y: t.map((s) => Math.sin(2 * Math.PI * 440 * s)) }] },
 *     { title: "Errors", xLabel: "samples", yLabel: "count", bars: histogram([0, 0, 1, -1, 0]) },
 *   ],
 * });
 * ```
 *
 * Text needs a font: resvg in WebAssembly cannot ask the system for one, so the first of
 * {@link FONT_FILES} that exists is read (DejaVu Sans on Debian: `apt install fonts-dejavu-core`),
 * or pass `fonts` to {@link renderPng}.
 */
import { readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { packageSpecifier } from "./packages.ts";

/**
 * The packages, by exact version (package.json's "dependencies" repeat them; a test checks).
 * Loaded as in files.ts: Deno by `npm:` specifier, Bun by bare name.
 */
export const DEPENDENCIES = {
  "@resvg/resvg-wasm": "2.6.2",
} as const;

const RESVG = "@resvg/resvg-wasm";
const resvgSpecifier = packageSpecifier(RESVG, DEPENDENCIES[RESVG]);

/** Where a sans-serif TrueType font is looked for, in order (Debian, Fedora, Arch, macOS, Windows). */
export const FONT_FILES = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
  "/usr/share/fonts/TTF/DejaVuSans.ttf",
  "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
  "/System/Library/Fonts/Supplemental/Arial.ttf",
  "/Library/Fonts/Arial.ttf",
  "C:\\Windows\\Fonts\\arial.ttf",
];

/** A line through points (x[i], y[i]); long lines are drawn as each pixel column's min and max. */
export interface Line {
  /** The points' x values. */
  x: ArrayLike<number>;
  /** The points' y values, one per x. */
  y: ArrayLike<number>;
  /** In the legend (none: not listed). */
  label?: string;
  /** A CSS color (default: the palette's next). */
  color?: string;
  /** Dashed, for references (an identity line, a threshold). */
  dashed?: boolean;
}

/** Marks at points (x[i], y[i]). */
export interface Points {
  /** The marks' x values. */
  x: ArrayLike<number>;
  /** The marks' y values, one per x. */
  y: ArrayLike<number>;
  /** In the legend (none: not listed). */
  label?: string;
  /** A CSS color (default: the palette's next). */
  color?: string;
  /** Radius in pixels (default 3). */
  radius?: number;
}

/** Histogram bars: `counts[i]` values fell in [edges[i], edges[i + 1]). */
export interface Bars {
  /** The bins' edges: one more than the counts. */
  edges: readonly number[];
  /** How many values fell in each bin. */
  counts: readonly number[];
  /** In the legend (none: not listed). */
  label?: string;
  /** A CSS color (default: the palette's next). */
  color?: string;
}

/** One panel: a plot area with its axes. */
export interface Panel {
  /** Above the plot area, on the left. */
  title?: string;
  /** Under the x axis. */
  xLabel?: string;
  /** Beside the y axis. */
  yLabel?: string;
  /** "log": a logarithmic x axis (every x must be > 0), for spectra. */
  xScale?: "linear" | "log";
  /** The axes' ranges (default: the data's, with a margin). */
  xRange?: readonly [number, number];
  /** The y axis's range (default: the data's, with a margin). */
  yRange?: readonly [number, number];
  /** Lines, drawn first. */
  lines?: readonly Line[];
  /** Marks, drawn over the lines. */
  points?: readonly Points[];
  /** A histogram, drawn under everything else. */
  bars?: Bars;
}

/** A picture: panels stacked top to bottom. */
export interface Figure {
  /** Centred above the panels. */
  title?: string;
  /** The panels, top to bottom. */
  panels: readonly Panel[];
  /** Pixels (default 900 wide, 300 high per panel). */
  width?: number;
  /** Pixels per panel (default 300). */
  panelHeight?: number;
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];
const MARGIN = { left: 72, right: 24, top: 34, bottom: 48 };
const FONT = 13;
const TITLE_HEIGHT = 30;

/**
 * A histogram of `values` in bins of `binWidth` (default: 1 for integers, else about 20 bins),
 * centred on multiples of the width so that integer errors sit each in a bar of its own.
 */
export function histogram(values: ArrayLike<number>, binWidth?: number): Bars {
  const xs = Array.from(values).filter(Number.isFinite);
  if (xs.length === 0) return { edges: [-0.5, 0.5], counts: [0] };
  let lo = Math.min(...xs);
  let hi = Math.max(...xs);
  const width = binWidth ?? (xs.every(Number.isInteger) ? Math.max(1, niceStep((hi - lo) / 20)) : niceStep((hi - lo) / 20 || 1));
  if (!(width > 0)) throw new RangeError(`binWidth must be a positive number, got ${binWidth}`);
  lo = (Math.round(lo / width) - 0.5) * width;
  hi = (Math.round(hi / width) + 0.5) * width;
  const n = Math.max(1, Math.round((hi - lo) / width));
  const counts = new Array(n).fill(0);
  for (const x of xs) counts[Math.min(n - 1, Math.max(0, Math.floor((x - lo) / width)))]++;
  return { edges: Array.from({ length: n + 1 }, (_, i) => lo + i * width), counts };
}

/** The figure as an SVG document. Marks carry classes: `line`, `point`, `bar` (tests count them). */
export function figureSvg(figure: Figure): string {
  if (!figure || !Array.isArray(figure.panels) || figure.panels.length === 0) {
    throw new TypeError("figure.panels must be a non-empty array of panels");
  }
  const width = figure.width ?? 900;
  const panelHeight = figure.panelHeight ?? 300;
  const top = figure.title ? TITLE_HEIGHT : 0;
  const height = top + panelHeight * figure.panels.length;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="DejaVu Sans, Arial, sans-serif" font-size="${FONT}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (figure.title) out.push(text(width / 2, 21, figure.title, { anchor: "middle", size: FONT + 4, weight: "bold" }));
  figure.panels.forEach((p, i) => out.push(panelSvg(p, 0, top + i * panelHeight, width, panelHeight)));
  out.push("</svg>");
  return out.join("\n");
}

let resvg: Promise<{ Resvg: ResvgClass }> | undefined;
let defaultFont: Uint8Array | undefined;

interface ResvgClass {
  new (svg: string, options: unknown): { render(): { asPng(): Uint8Array; width: number; height: number } };
}

function loadResvg(): Promise<{ Resvg: ResvgClass }> {
  resvg ??= (async () => {
    const m = await import(resvgSpecifier) as { Resvg: ResvgClass; initWasm(wasm: unknown): Promise<void> };
    // The WebAssembly file beside the package's module: a file in node_modules (Bun; Deno in a
    // checkout), or wherever Deno's resolver puts it.
    const url = new URL(import.meta.resolve(`${resvgSpecifier}/index_bg.wasm`));
    const wasm = url.protocol === "file:" ? await readFile(fileURLToPath(url)) : await (await fetch(url)).arrayBuffer();
    await m.initWasm(wasm);
    return m;
  })();
  resvg.catch(() => (resvg = undefined));
  return resvg;
}

/** Options of {@link renderPng}. */
export interface PngOptions {
  /** TrueType/OpenType font files' bytes for the text (default: the first of {@link FONT_FILES}). */
  fonts?: Uint8Array[];
}

/** Rasterises an SVG document to PNG bytes at its own size. */
export async function renderPng(svg: string, options: PngOptions = {}): Promise<Uint8Array> {
  if (typeof svg !== "string") throw new TypeError(`svg must be a string, got ${typeof svg}`);
  const fonts = options.fonts ?? [await findFont()];
  const { Resvg } = await loadResvg();
  const r = new Resvg(svg, { font: { fontBuffers: fonts, loadSystemFonts: false, defaultFontFamily: "DejaVu Sans" } });
  return r.render().asPng();
}

async function findFont(): Promise<Uint8Array> {
  if (defaultFont) return defaultFont;
  const path = FONT_FILES.find((f) => existsSync(f));
  if (!path) {
    throw new Error(
      `no font for the picture's text: none of ${FONT_FILES.join(", ")} exists ` +
        "(on Debian: apt install fonts-dejavu-core), or pass options.fonts",
    );
  }
  defaultFont = new Uint8Array(await readFile(path));
  return defaultFont;
}

/**
 * Writes the figure to `path`: PNG, or SVG when the path ends in `.svg`. Returns what was written
 * (the SVG text, or the PNG's bytes).
 */
export async function savePicture(path: string, figure: Figure, options: PngOptions = {}): Promise<string | Uint8Array> {
  const svg = figureSvg(figure);
  if (path.toLowerCase().endsWith(".svg")) {
    await writeFile(path, svg);
    return svg;
  }
  const png = await renderPng(svg, options);
  await writeFile(path, png);
  return png;
}

// ---------------------------------------------------------------------------------------------
// Drawing

type Scale = (v: number) => number;

function panelSvg(p: Panel, x0: number, y0: number, width: number, height: number): string {
  const left = x0 + MARGIN.left;
  const right = x0 + width - MARGIN.right;
  const top = y0 + MARGIN.top;
  const bottom = y0 + height - MARGIN.bottom;
  const log = p.xScale === "log";
  const [xs, ys] = dataRanges(p);
  const xRange = p.xRange ?? (log ? xs : pad(xs, 0.02));
  const yRange = p.yRange ?? pad(ys, 0.08, p.bars !== undefined);
  if (log && !(xRange[0] > 0)) throw new RangeError(`a log x axis needs x > 0, got a range from ${xRange[0]}`);
  const fx = log ? Math.log10 : (v: number) => v;
  const [a, b] = [fx(xRange[0]), fx(xRange[1])];
  const sx: Scale = (v) => left + (fx(v) - a) / (b - a || 1) * (right - left);
  const sy: Scale = (v) => bottom - (v - yRange[0]) / (yRange[1] - yRange[0] || 1) * (bottom - top);
  const out: string[] = [`<g class="panel">`];

  // Grid and ticks first, marks over them, the frame and labels last.
  const xTicks = log ? logTicks(xRange) : ticks(xRange, Math.max(2, Math.floor((right - left) / 90)));
  const yTicks = ticks(yRange, Math.max(2, Math.floor((bottom - top) / 45)));
  for (const t of xTicks) {
    const x = sx(t.value).toFixed(1);
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="#e4e4e4"/>`);
    out.push(text(+x, bottom + 17, t.label, { anchor: "middle" }));
  }
  for (const t of yTicks) {
    const y = sy(t.value).toFixed(1);
    out.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#e4e4e4"/>`);
    out.push(text(left - 6, +y + 4, t.label, { anchor: "end" }));
  }
  out.push(`<svg x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" ` +
    `viewBox="${left} ${top} ${right - left} ${bottom - top}" overflow="hidden">`);
  let color = 0;
  const next = (c?: string) => c ?? PALETTE[color++ % PALETTE.length];
  const legend: { label: string; color: string; kind: "line" | "point" | "bar"; dashed?: boolean }[] = [];
  if (p.bars) {
    const c = next(p.bars.color);
    const { edges, counts } = p.bars;
    counts.forEach((n, i) => {
      if (n === 0) return;
      const x1 = sx(edges[i]), x2 = sx(edges[i + 1]);
      const w = Math.max(1, x2 - x1 - 1);
      out.push(`<rect class="bar" x="${(x1 + 0.5).toFixed(1)}" y="${sy(n).toFixed(1)}" width="${w.toFixed(1)}" ` +
        `height="${(sy(0) - sy(n)).toFixed(1)}" fill="${c}"/>`);
    });
    if (p.bars.label) legend.push({ label: p.bars.label, color: c, kind: "bar" });
  }
  for (const l of p.lines ?? []) {
    const c = next(l.color);
    const dash = l.dashed ? ` stroke-dasharray="6 4"` : "";
    out.push(`<polyline class="line" fill="none" stroke="${c}" stroke-width="1.5"${dash} stroke-linejoin="round" ` +
      `points="${polyline(l, sx, sy, right - left)}"/>`);
    if (l.label) legend.push({ label: l.label, color: c, kind: "line", dashed: l.dashed });
  }
  for (const s of p.points ?? []) {
    const c = next(s.color);
    const r = s.radius ?? 3;
    for (let i = 0; i < s.x.length; i++) {
      if (!Number.isFinite(s.x[i]) || !Number.isFinite(s.y[i])) continue;
      out.push(`<circle class="point" cx="${sx(s.x[i]).toFixed(1)}" cy="${sy(s.y[i]).toFixed(1)}" r="${r}" ` +
        `fill="${c}" fill-opacity="0.7"/>`);
    }
    if (s.label) legend.push({ label: s.label, color: c, kind: "point" });
  }
  out.push(`</svg>`);
  out.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="none" stroke="#333"/>`);
  if (p.title) out.push(text(left, y0 + 22, p.title, { size: FONT + 1, weight: "bold" }));
  if (p.xLabel) out.push(text((left + right) / 2, bottom + 37, p.xLabel, { anchor: "middle" }));
  if (p.yLabel) {
    const x = x0 + 16, y = (top + bottom) / 2;
    out.push(`<text x="${x}" y="${y}" text-anchor="middle" transform="rotate(-90 ${x} ${y})">${escape(p.yLabel)}</text>`);
  }
  // The legend sits in the top margin, right-aligned, where it hides no mark.
  let x = right;
  for (const e of legend.reverse()) {
    const y = y0 + 22;
    x -= e.label.length * 7.6 + 36;
    if (e.kind === "line") {
      const dash = e.dashed ? ` stroke-dasharray="5 3"` : "";
      out.push(`<line x1="${x}" y1="${y - 4}" x2="${x + 20}" y2="${y - 4}" stroke="${e.color}" stroke-width="2"${dash}/>`);
    } else if (e.kind === "point") out.push(`<circle cx="${x + 10}" cy="${y - 4}" r="4" fill="${e.color}"/>`);
    else out.push(`<rect x="${x + 4}" y="${y - 10}" width="12" height="12" fill="${e.color}"/>`);
    out.push(text(x + 25, y, e.label, {}));
  }
  out.push(`</g>`);
  return out.join("\n");
}

/** A line's points as SVG coordinates; over 4 points per pixel column, each column's first, min, max and last. */
function polyline(l: Line, sx: Scale, sy: Scale, pixels: number): string {
  const n = Math.min(l.x.length, l.y.length);
  const pts: string[] = [];
  const put = (x: number, y: number) => pts.push(`${x.toFixed(1)},${y.toFixed(1)}`);
  if (n <= 4 * pixels) {
    for (let i = 0; i < n; i++) if (Number.isFinite(l.x[i]) && Number.isFinite(l.y[i])) put(sx(l.x[i]), sy(l.y[i]));
    return pts.join(" ");
  }
  let column = NaN, lo = 0, hi = 0, first = 0, last = 0;
  const flush = () => {
    if (Number.isNaN(column)) return;
    put(column, sy(first));
    put(column, sy(lo));
    put(column, sy(hi));
    put(column, sy(last));
  };
  for (let i = 0; i < n; i++) {
    const y = l.y[i];
    if (!Number.isFinite(l.x[i]) || !Number.isFinite(y)) continue;
    const c = Math.round(sx(l.x[i]));
    if (c !== column) {
      flush();
      column = c;
      lo = hi = first = y;
    }
    lo = Math.min(lo, y);
    hi = Math.max(hi, y);
    last = y;
  }
  flush();
  return pts.join(" ");
}

function dataRanges(p: Panel): [[number, number], [number, number]] {
  let xlo = Infinity, xhi = -Infinity, ylo = Infinity, yhi = -Infinity;
  const add = (x: ArrayLike<number>, y: ArrayLike<number>) => {
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (!Number.isFinite(x[i]) || !Number.isFinite(y[i]) || (p.xScale === "log" && !(x[i] > 0))) continue;
      if (x[i] < xlo) xlo = x[i];
      if (x[i] > xhi) xhi = x[i];
      if (y[i] < ylo) ylo = y[i];
      if (y[i] > yhi) yhi = y[i];
    }
  };
  for (const l of [...(p.lines ?? []), ...(p.points ?? [])]) add(l.x, l.y);
  if (p.bars) {
    add([p.bars.edges[0], p.bars.edges.at(-1)!], [0, Math.max(0, ...p.bars.counts)]);
  }
  if (xlo > xhi) [xlo, xhi] = p.xScale === "log" ? [1, 10] : [0, 1];
  if (ylo > yhi) [ylo, yhi] = [0, 1];
  return [[xlo, xhi], [ylo, yhi]];
}

/** A range widened by `fraction` each side (from zero up when `fromZero`); a point becomes a unit range. */
function pad([lo, hi]: readonly [number, number], fraction: number, fromZero = false): [number, number] {
  if (hi === lo) return fromZero ? [0, hi + 1] : [lo - 1, hi + 1];
  const m = (hi - lo) * fraction;
  return [fromZero ? Math.min(0, lo) : lo - m, hi + m];
}

/** 1, 2 or 5 times a power of ten, near `raw`. */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

interface Tick {
  value: number;
  label: string;
}

function ticks([lo, hi]: readonly [number, number], count: number): Tick[] {
  const step = niceStep((hi - lo) / count);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const out: Tick[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    const value = k * step;
    out.push({ value, label: number(value, decimals) });
  }
  return out;
}

/** Decades (1, 10, 100, ... with k for thousands) and, where few, 2 and 5 between. */
function logTicks([lo, hi]: readonly [number, number]): Tick[] {
  const decades = Math.log10(hi / lo);
  const mantissas = decades < 4 ? [1, 2, 5] : [1];
  const out: Tick[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of mantissas) {
      const value = m * 10 ** e;
      if (value >= lo * (1 - 1e-9) && value <= hi * (1 + 1e-9)) out.push({ value, label: si(value) });
    }
  }
  return out;
}

function number(v: number, decimals: number): string {
  if (Math.abs(v) >= 1e5) return si(v);
  const s = v.toFixed(decimals);
  return s === "-0" || /^-0\.0*$/.test(s) ? s.slice(1) : s;
}

function si(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

function text(x: number, y: number, s: string, o: { anchor?: string; size?: number; weight?: string }): string {
  const attrs = [`x="${x.toFixed(1)}"`, `y="${y.toFixed(1)}"`];
  if (o.anchor) attrs.push(`text-anchor="${o.anchor}"`);
  if (o.size) attrs.push(`font-size="${o.size}"`);
  if (o.weight) attrs.push(`font-weight="${o.weight}"`);
  return `<text ${attrs.join(" ")} fill="#222">${escape(s)}</text>`;
}

function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
