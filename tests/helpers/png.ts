/**
 * Reading the PNG files that rtmixer/plot writes, to check pictures by their pixels: the IHDR's
 * size and format, and the RGBA pixels (zlib through node:zlib, the five row filters undone).
 * Only what resvg writes: 8-bit RGBA or RGB, not interlaced.
 */
import { Buffer } from "node:buffer";
import { inflateSync } from "node:zlib";

export interface Png {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  /** width × height × 4 bytes, RGBA. */
  rgba: Uint8Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** Parses and decodes a PNG; throws on anything that is not one (of the kinds above). */
export function decodePng(bytes: Uint8Array): Png {
  if (!SIGNATURE.every((b, i) => bytes[i] === b)) throw new Error("not a PNG: wrong signature");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = (at: number) => String.fromCharCode(...bytes.subarray(at + 4, at + 8));
  if (type(8) !== "IHDR") throw new Error("not a PNG: the first chunk is not IHDR");
  const width = view.getUint32(16), height = view.getUint32(20);
  const bitDepth = bytes[24], colorType = bytes[25], interlace = bytes[28];
  if (bitDepth !== 8 || (colorType !== 6 && colorType !== 2) || interlace !== 0) {
    throw new Error(`an unexpected PNG format: depth ${bitDepth}, color type ${colorType}, interlace ${interlace}`);
  }
  const idat: Uint8Array[] = [];
  let ended = false;
  for (let at = 8; at + 12 <= bytes.length; at += 12 + view.getUint32(at)) {
    const length = view.getUint32(at);
    if (type(at) === "IDAT") idat.push(bytes.subarray(at + 8, at + 8 + length));
    if (type(at) === "IEND") ended = true;
  }
  if (!ended) throw new Error("not a PNG: no IEND chunk (cut short?)");
  const raw = new Uint8Array(inflateSync(Buffer.concat(idat)));
  const channels = colorType === 6 ? 4 : 3;
  const stride = width * channels;
  if (raw.length !== height * (stride + 1)) throw new Error(`PNG data of ${raw.length} bytes for ${width}×${height}`);
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const row = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[i - channels] : 0, b = up[i], c = i >= channels ? up[i - channels] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      if (predictor === undefined) throw new Error(`PNG row ${y}: unknown filter ${filter}`);
      out[i] = (row[i] + predictor) & 255;
    }
  }
  const rgba = channels === 4 ? pixels : new Uint8Array(width * height * 4);
  if (channels === 3) for (let i = 0; i < width * height; i++) rgba.set([...pixels.subarray(3 * i, 3 * i + 3), 255], 4 * i);
  return { width, height, bitDepth, colorType, rgba };
}

/** Pixels whose color is within `tolerance` of `hex` ("#1f77b4"), opaque. */
export function countColor(png: Png, hex: string, tolerance = 24): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let i = 0; i < png.rgba.length; i += 4) {
    const d = Math.abs(png.rgba[i] - r) + Math.abs(png.rgba[i + 1] - g) + Math.abs(png.rgba[i + 2] - b);
    if (d <= tolerance && png.rgba[i + 3] > 200) n++;
  }
  return n;
}

/** The fraction of pixels that are not white (ink: text, axes, marks). */
export function inkFraction(png: Png): number {
  let n = 0;
  for (let i = 0; i < png.rgba.length; i += 4) {
    if (png.rgba[i + 3] > 0 && (png.rgba[i] < 240 || png.rgba[i + 1] < 240 || png.rgba[i + 2] < 240)) n++;
  }
  return n / (png.rgba.length / 4);
}
