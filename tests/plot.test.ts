// rtmixer/plot: figures written as SVG (counted by their marks), rasterised to PNG by resvg
// (checked by decoding the pixels: the size asked for, ink where marks are, the palette's colors),
// identically in Bun and Deno.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Figure, figureSvg, histogram, renderPng, savePicture } from "../src/plot.ts";
import { countColor, decodePng, inkFraction } from "./helpers/png.ts";

const BLUE = "#1f77b4"; // the palette's first color
const count = (svg: string, cls: string) => svg.split(`class="${cls}"`).length - 1;

function sampleFigure(): Figure {
  const t = Array.from({ length: 4800 }, (_, i) => i / 48000);
  return {
    title: "three panels",
    width: 640,
    panelHeight: 240,
    panels: [
      { title: "a line", xLabel: "time (s)", yLabel: "amplitude", lines: [{ x: t, y: t.map((s) => Math.sin(2 * Math.PI * 100 * s)), label: "sine" }] },
      { title: "points", xLabel: "scheduled", yLabel: "measured", points: [{ x: [1, 2, 3, 4], y: [1, 2, 3, 4.5], label: "onsets" }] },
      { title: "a histogram", xLabel: "error", yLabel: "count", bars: histogram([0, 0, 0, 1, -2]) },
    ],
  };
}

describe("rtmixer/plot: SVG", () => {
  test("each line, point and histogram bin becomes one mark; titles and axis labels are there", () => {
    const svg = figureSvg(sampleFigure());
    expect(svg.startsWith("<svg ")).toBe(true);
    expect(svg).toContain(`width="640" height="750"`); // 30 for the title + 3 × 240
    expect(count(svg, "panel")).toBe(3);
    expect(count(svg, "line")).toBe(1);
    expect(count(svg, "point")).toBe(4);
    expect(count(svg, "bar")).toBe(3); // bins -2, 0 and 1 hold values; -1 is empty and not drawn
    for (const label of ["three panels", "a line", "time (s)", "amplitude", "measured", "a histogram", "sine", "onsets"]) {
      expect(svg).toContain(`>${label}</text>`);
    }
  });

  test("a line longer than 4 points per pixel column is drawn as each column's first, min, max and last", () => {
    const n = 100_000;
    const svg = figureSvg({ width: 500, panels: [{ xRange: [0, n - 1], lines: [{ x: Array.from({ length: n }, (_, i) => i), y: Array.from({ length: n }, (_, i) => (i % 2 ? 1 : -1)) }] }] });
    const points = /points="([^"]*)"/.exec(svg)![1].split(" ");
    const columns = 500 - 72 - 24;
    expect(points.length).toBeLessThanOrEqual(4 * (columns + 1));
    expect(points.length).toBeGreaterThanOrEqual(4 * (columns - 1));
    // The envelope is kept: every column reaches both -1 and 1.
    const ys = new Set(points.map((p) => p.split(",")[1]));
    expect(ys.size).toBe(2);
  });

  test("histogram: integer values get bins of 1 centred on each integer", () => {
    const h = histogram([0, 0, 3, -1, 0]);
    expect(h.edges).toEqual([-1.5, -0.5, 0.5, 1.5, 2.5, 3.5]);
    expect(h.counts).toEqual([1, 3, 0, 0, 1]);
    expect(histogram([2.5, 2.5], 0.5).counts).toEqual([2]);
    expect(histogram([]).counts).toEqual([0]);
  });

  test("text is escaped", () => {
    expect(figureSvg({ panels: [{ title: "a < b & c" }] })).toContain(">a &lt; b &amp; c</text>");
  });

  test("bad figures are errors that say why", () => {
    expect(() => figureSvg({ panels: [] })).toThrow(/^figure.panels must be a non-empty array/);
    expect(() => figureSvg({ panels: [{ xScale: "log", xRange: [0, 10] }] })).toThrow(/^a log x axis needs x > 0/);
    expect(() => histogram([1], -1)).toThrow(/^binWidth must be a positive number/);
  });
});

describe("rtmixer/plot: PNG", () => {
  test("renderPng gives a valid PNG of the SVG's size with marks in the palette's colors", async () => {
    const png = decodePng(await renderPng(figureSvg(sampleFigure())));
    expect([png.width, png.height, png.bitDepth]).toEqual([640, 750, 8]);
    const ink = inkFraction(png);
    expect(ink).toBeGreaterThan(0.03); // axes, grid, text and marks
    expect(ink).toBeLessThan(0.6);
    // Each panel has its marks in the palette's first color (the points are translucent: 70% of
    // it over white) in its third below the title.
    const colors = [BLUE, "#62a0cb", BLUE];
    for (let k = 0; k < 3; k++) {
      const top = 30 + k * 240;
      const band = { ...png, height: 240, rgba: png.rgba.subarray(top * 640 * 4, (top + 240) * 640 * 4) };
      expect({ panel: k, blue: countColor(band, colors[k]) > 40 }).toEqual({ panel: k, blue: true });
    }
  });

  test("the content check fails a blank picture", async () => {
    const blank = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><rect width="640" height="480" fill="white"/></svg>`;
    const png = decodePng(await renderPng(blank));
    expect([png.width, png.height]).toEqual([640, 480]);
    expect(inkFraction(png)).toBe(0);
    expect(countColor(png, BLUE)).toBe(0);
  });

  test("text is drawn: a figure of only a title has ink, one without has none", async () => {
    const titled = decodePng(await renderPng(`<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40">` +
      `<rect width="200" height="40" fill="white"/><text x="10" y="28" font-size="20">Hello</text></svg>`));
    expect(inkFraction(titled)).toBeGreaterThan(0.02);
  });

  test("savePicture writes PNG, or SVG for a path ending in .svg", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rtmixer-plot-"));
    try {
      await savePicture(join(dir, "a.png"), sampleFigure());
      expect(decodePng(new Uint8Array(readFileSync(join(dir, "a.png")))).width).toBe(640);
      await savePicture(join(dir, "a.svg"), sampleFigure());
      expect(count(readFileSync(join(dir, "a.svg"), "utf8"), "point")).toBe(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a PNG that is not one, or is cut short, is rejected by the checker", async () => {
    const png = await renderPng(figureSvg(sampleFigure()));
    expect(() => decodePng(new Uint8Array(100))).toThrow(/wrong signature/);
    expect(() => decodePng(png.subarray(0, png.length - 20))).toThrow();
  });
});
