// An adversarial example as a picture: original | adversarial | difference, side by side and
// enlarged (nearest neighbour). The difference is red where values went up and blue where they
// went down, full colour at the largest change. The file (--png) is a figure that explains
// itself: panel titles, a caption with the original and the new class, the distance and its
// norm (computed from the two images, so it is the distance of what is drawn), and a colour bar
// that maps the difference panel's colours to values. It is composed as SVG (text needs fonts;
// resvg, see plot-file.ts, has them) around the pixel panels, which are embedded as a PNG and
// scaled without smoothing. Written to a temporary file, then renamed, so a failed write
// leaves nothing half-written behind.
import pngjs from 'pngjs';
import { UserError } from '../errors.js';
import type { Shape } from '../network.js';
import { escapeXml } from './svg-plot.js';
import { pictureFormat, svgToPng, writeBytesAtomic } from './plot-file.js';

const { PNG } = pngjs;

export interface PngOptions {
  /** Pixels per input value (default: enough to make a 28-pixel image about 224 wide). */
  scale?: number;
  /** Gap between panels, in output pixels (default 8). */
  gap?: number;
  /** What the caption says besides the distance (computed from the images). */
  caption?: AdversarialCaption;
}

export interface AdversarialCaption {
  originalClass?: number | string;
  newClass?: number | string;
  /** The norm the example was searched in; the caption gives that distance (default: ℓ∞ and ℓ1). */
  norm?: 'linf' | 'l1';
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

const NORM_NAME = { linf: 'ℓ∞', l1: 'ℓ1' } as const;

/** ‖adversarial − original‖ in `norm`, and the largest change of one value (the colour bar's end). */
export function distances(original: ArrayLike<number>, adversarial: ArrayLike<number>): { linf: number; l1: number } {
  let linf = 0, l1 = 0;
  for (let i = 0; i < original.length; i++) {
    const d = Math.abs(adversarial[i] - original[i]);
    l1 += d;
    if (d > linf) linf = d;
  }
  return { linf, l1 };
}

const sig = (v: number): string => Number(v.toPrecision(4)).toString();

/** The figure as an SVG document: titled panels, caption, colour bar; `zoom`: the scale it will be rasterised at. */
export function adversarialFigureSvg(original: ArrayLike<number>, adversarial: ArrayLike<number>, shape: Shape, opts: PngOptions = {}, zoom = 1): string {
  // the panels are drawn at `zoom` times their size in SVG units, so that at that zoom every
  // panel pixel maps to whole output pixels and nothing is resampled (no blur at the edges)
  const [, h, w] = imageShape(shape, original.length);
  const scale = opts.scale ?? Math.max(1, Math.round(224 / Math.max(h, w)));
  const big = renderAdversarial(original, adversarial, shape, { scale: scale * zoom, gap: (opts.gap ?? 8) * zoom });
  const strip = { width: big.width / zoom, height: big.height / zoom };
  const gap = opts.gap ?? 8;
  const pw = (strip.width - 2 * gap) / 3;
  const png = new PNG({ width: big.width, height: big.height });
  png.data.set(big.data);
  const uri = `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
  const d = distances(original, adversarial);
  const c = opts.caption ?? {};
  const pad = 14, top = 30, barW = 14, barGap = 12, tickW = 78;
  const W = pad + strip.width + barGap + barW + tickW;
  const classes = c.originalClass !== undefined || c.newClass !== undefined
    ? `class ${c.originalClass ?? '?'} → ${c.newClass ?? '?'}`
    : '';
  const dist = c.norm ? `${NORM_NAME[c.norm]} distance ${sig(d[c.norm])}` : `ℓ∞ distance ${sig(d.linf)}, ℓ1 distance ${sig(d.l1)}`;
  const captionLines = [classes, dist].filter((t) => t);
  const H = top + strip.height + 14 + captionLines.length * 20 + 6;
  const e = escapeXml;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="14">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  ['original', 'adversarial', 'difference'].forEach((t, k) => {
    out.push(`<text x="${pad + k * (pw + gap) + pw / 2}" y="${top - 10}" text-anchor="middle">${t}</text>`);
  });
  out.push(`<image x="${pad}" y="${top}" width="${strip.width}" height="${strip.height}" image-rendering="optimizeSpeed" style="image-rendering:pixelated" href="${uri}"/>`);
  // the colour bar: +max (red) at the top, 0 (white), -max (blue) at the bottom, as the panel maps them
  const bx = pad + strip.width + barGap;
  out.push('<defs><linearGradient id="diff" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#ff0000"/><stop offset="0.5" stop-color="#ffffff"/><stop offset="1" stop-color="#0000ff"/></linearGradient></defs>');
  out.push(`<rect class="colour-bar" x="${bx}" y="${top}" width="${barW}" height="${strip.height}" fill="url(#diff)" stroke="#444" stroke-width="0.8"/>`);
  const ticks: [number, string][] = [[0, `+${sig(d.linf)}`], [0.5, '0'], [1, `−${sig(d.linf)}`]];
  for (const [f, label] of ticks) {
    const y = top + f * strip.height;
    out.push(`<line x1="${bx + barW}" y1="${y}" x2="${bx + barW + 4}" y2="${y}" stroke="#444"/>`);
    out.push(`<text class="bar-tick" x="${bx + barW + 7}" y="${y + 5}" font-size="13">${e(label)}</text>`);
  }
  captionLines.forEach((t, k) => out.push(`<text class="caption" x="${pad}" y="${top + strip.height + 26 + k * 20}">${e(t)}</text>`));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The figure as a PNG (twice the SVG's size, so the text is sharp). */
export function adversarialFigurePng(original: ArrayLike<number>, adversarial: ArrayLike<number>, shape: Shape, opts: PngOptions = {}): Uint8Array {
  return svgToPng(adversarialFigureSvg(original, adversarial, shape, opts, 2), 2);
}

/**
 * Checks, before the search starts, that a figure can be written for inputs of `shape` (n values)
 * to `file`: an image input, and a .png or .svg name. Throws the UserError the write would.
 */
export function checkAdversarialFigure(file: string, shape: Shape, n: number): void {
  pictureFormat(file, '--png');
  imageShape(shape, n);
}

/** The figure to `file`: PNG, or SVG when the name ends in .svg. */
export function writeAdversarialPng(file: string, original: ArrayLike<number>, adversarial: ArrayLike<number>, shape: Shape, opts: PngOptions = {}): void {
  const svg = pictureFormat(file, '--png') === '.svg';
  writeBytesAtomic(file, svg ? adversarialFigureSvg(original, adversarial, shape, opts) : adversarialFigurePng(original, adversarial, shape, opts), '--png');
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
