// An adversarial example as a picture: original | adversarial | difference, side by side and
// enlarged (nearest neighbour). The difference is red where values went up and blue where they
// went down, full colour at the largest change. Written to a temporary file, then renamed, so a
// failed write leaves nothing half-written behind.
import fs from 'node:fs';
import path from 'node:path';
import pngjs from 'pngjs';
import { UserError } from '../errors.js';
import type { Shape } from '../network.js';

const { PNG } = pngjs;

export interface PngOptions {
  /** Pixels per input value (default: enough to make a 28-pixel image about 224 wide). */
  scale?: number;
  /** Gap between panels, in output pixels (default 8). */
  gap?: number;
}

/** The three panels as RGBA rows; exported for tests. */
export function renderAdversarial(original: ArrayLike<number>, adversarial: ArrayLike<number>, shape: Shape, opts: PngOptions = {}): { width: number; height: number; data: Uint8Array } {
  const [c, h, w] = imageShape(shape, original.length);
  if (adversarial.length !== original.length) throw new UserError(`adversarial image has ${adversarial.length} values, the original ${original.length}`);
  const scale = opts.scale ?? Math.max(1, Math.round(224 / Math.max(h, w)));
  const gap = opts.gap ?? 8;
  const pw = w * scale, ph = h * scale;
  const width = 3 * pw + 2 * gap, height = ph;
  const data = new Uint8Array(width * height * 4).fill(255);
  let maxDiff = 0;
  for (let i = 0; i < original.length; i++) maxDiff = Math.max(maxDiff, Math.abs(adversarial[i] - original[i]));
  const byte = (v: number): number => Math.round(Math.min(Math.max(v, 0), 1) * 255);
  const pixel = (panel: number, y: number, x: number): [number, number, number] => {
    const at = (ch: number): number => (ch * h + y) * w + x;
    if (panel < 2) {
      const src = panel === 0 ? original : adversarial;
      return c === 3 ? [byte(src[at(0)]), byte(src[at(1)]), byte(src[at(2)])] : [byte(src[at(0)]), byte(src[at(0)]), byte(src[at(0)])];
    }
    let d = 0; // the change with the largest size over the channels
    for (let ch = 0; ch < c; ch++) { const v = adversarial[at(ch)] - original[at(ch)]; if (Math.abs(v) > Math.abs(d)) d = v; }
    const t = maxDiff > 0 ? Math.abs(d) / maxDiff : 0;
    const fade = Math.round(255 * (1 - t));
    return d >= 0 ? [255, fade, fade] : [fade, fade, 255];
  };
  for (let panel = 0; panel < 3; panel++) {
    const x0 = panel * (pw + gap);
    for (let y = 0; y < ph; y++) {
      for (let x = 0; x < pw; x++) {
        const [r, g, b] = pixel(panel, Math.floor(y / scale), Math.floor(x / scale));
        const o = (y * width + x0 + x) * 4;
        data[o] = r; data[o + 1] = g; data[o + 2] = b; data[o + 3] = 255;
      }
    }
  }
  return { width, height, data };
}

export function writeAdversarialPng(file: string, original: ArrayLike<number>, adversarial: ArrayLike<number>, shape: Shape, opts: PngOptions = {}): void {
  const img = renderAdversarial(original, adversarial, shape, opts);
  const png = new PNG({ width: img.width, height: img.height });
  png.data.set(img.data);
  const buf = PNG.sync.write(png);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, buf);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new UserError(`cannot write ${file}: ${(err as Error).message}`);
  }
}

/** [channels, height, width] of an image input: CHW, HW, or a flat square of 1 or 3 channels. */
function imageShape(shape: Shape, n: number): [number, number, number] {
  if (shape.length === 3 && (shape[0] === 1 || shape[0] === 3)) return [shape[0], shape[1], shape[2]];
  if (shape.length === 2 && shape[0] > 1 && shape[1] > 1) return [1, shape[0], shape[1]];
  for (const c of [1, 3]) {
    const side = Math.round(Math.sqrt(n / c));
    if (side * side * c === n) return [c, side, side];
  }
  throw new UserError(`--png needs an image input (CHW with 1 or 3 channels, or a square), got shape [${shape}]`);
}
