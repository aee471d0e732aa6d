// One self-contained HTML report page: the network summary, the robust-accuracy curve (the
// inline SVG of svg-plot.ts), the per-epsilon table and a few example inputs as inline PNG
// images (data: URIs), with the style inline too, so the single file can be mailed or archived
// and opens the same anywhere. Nothing on the page refers to another file or the network.
import pngjs from 'pngjs';
import type { Shape } from '../network.js';
import { size } from '../network.js';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../outputs.js';
import { renderAdversarial } from './adversarial-png.js';

const { PNG } = pngjs;

export interface ReportNetwork {
  name: string;
  inputShape: Shape;
  /** One line per layer (describeLayer) with its output shape. */
  layers: { text: string; shape: Shape }[];
  params: number;
  /** Correctly classified inputs of those checked. */
  clean?: { correct: number; total: number };
}

export interface ReportExample {
  /** e.g. "test image 17". */
  title: string;
  /** 'verified', 'falsified', 'misclassified', 'undecided' (neither proven nor refuted), … */
  status: string;
  /** Lines under the image (label, prediction, largest verified epsilon, …). */
  lines: string[];
  /** The input, size(shape) values in [0, 1]. */
  image: ArrayLike<number>;
  /** A counterexample: shown as original | adversarial | difference. */
  adversarial?: ArrayLike<number>;
}

export interface HtmlReport {
  title: string;
  /** Short facts under the title (data, engine, time). */
  meta: string[];
  /** How the page was made: the command line and the veribound version, shown under the title. */
  provenance?: { command: string; version: string };
  network: ReportNetwork;
  /** The per-epsilon table: one row per epsilon. */
  table: { caption: string; head: string[]; rows: string[][] };
  /** An SVG document (e.g. svgLinePlot's output), inlined as is. */
  plotSvg?: string;
  examples: ReportExample[];
  /** Shape of the example images (CHW, 1 or 3 channels). */
  imageShape: Shape;
  notes?: string[];
}

export function escapeHtml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** [channels, height, width] of an image input, or undefined when it is not one (e.g. a flat vector). */
function chw(shape: Shape): [number, number, number] | undefined {
  const big = shape.filter((d) => d > 1);
  if (shape.length === 3 && (shape[0] === 1 || shape[0] === 3) && shape[1] > 1 && shape[2] > 1) return [shape[0], shape[1], shape[2]];
  if (big.length === 2) return [1, big[0], big[1]];
  // a flat vector (e.g. [784] or [784, 1]): a square of 1 or 3 channels
  const n = size(shape);
  for (const c of [1, 3]) {
    const side = Math.round(Math.sqrt(n / c));
    if (side > 1 && side * side * c === n) return [c, side, side];
  }
  return undefined;
}

/** An RGBA picture of one CHW image, each value `scale` × `scale` pixels. */
export function renderImage(values: ArrayLike<number>, shape: Shape, scale: number): { width: number; height: number; data: Uint8Array } {
  const s = chw(shape);
  if (!s || size(s) !== values.length) throw new UserError(`report: cannot draw an input of shape [${shape}] (${values.length} values) as an image`);
  const [c, h, w] = s;
  const width = w * scale, height = h * scale;
  const data = new Uint8Array(width * height * 4);
  const byte = (v: number): number => Math.round(Math.min(Math.max(v, 0), 1) * 255);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = Math.floor(y / scale) * w + Math.floor(x / scale);
      const o = (y * width + x) * 4;
      for (let k = 0; k < 3; k++) data[o + k] = byte(values[(c === 3 ? k : 0) * h * w + p]);
      data[o + 3] = 255;
    }
  }
  return { width, height, data };
}

export function pngDataUri(img: { width: number; height: number; data: Uint8Array }): string {
  const png = new PNG({ width: img.width, height: img.height });
  png.data.set(img.data);
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
}

/** Enough pixels per value for a picture about 140 pixels high. */
function scaleFor(shape: Shape): number {
  const s = chw(shape);
  return s ? Math.max(1, Math.round(140 / s[1])) : 1;
}

const STYLE = `
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #222; margin: 0; background: #f4f5f7; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 48px; background: white; }
h1 { font-size: 26px; margin: 0 0 6px; } h2 { font-size: 19px; margin: 28px 0 10px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #555; margin: 0; padding: 0; list-style: none; } .meta li { display: inline-block; margin-right: 18px; }
table { border-collapse: collapse; font-size: 14px; } th, td { padding: 4px 12px; border-bottom: 1px solid #e3e3e3; text-align: right; }
th { background: #f0f2f5; } td:first-child, th:first-child { text-align: left; } caption { text-align: left; color: #555; padding-bottom: 6px; }
.net { display: flex; gap: 40px; flex-wrap: wrap; align-items: flex-start; } .net dl { margin: 0; display: grid; grid-template-columns: auto auto; gap: 4px 16px; }
.layers td, .layers th { text-align: left; } .net dt { color: #555; } .net dd { margin: 0; font-weight: 600; }
.plot svg { width: 560px; max-width: 100%; height: auto; }
.examples { display: flex; flex-wrap: wrap; gap: 18px; } figure { margin: 0; padding: 10px; border: 1px solid #ddd; border-radius: 6px; }
figure img { image-rendering: pixelated; display: block; } figcaption { font-size: 13px; margin-top: 6px; line-height: 1.4; }
.status { font-weight: 700; text-transform: uppercase; font-size: 12px; padding: 1px 6px; border-radius: 3px; color: white; background: #888; }
.status.verified { background: #2e7d32; } .status.falsified { background: #c62828; } .status.unverified, .status.undecided { background: #ef6c00; }
.status.misclassified { background: #6a1b9a; }
.provenance { color: #555; font-size: 13px; margin: 6px 0 0; } .provenance code { background: #f0f2f5; padding: 1px 5px; border-radius: 3px; word-break: break-all; }
.notes { color: #555; font-size: 13px; } pre.values { font-size: 12px; margin: 0; max-width: 320px; white-space: pre-wrap; }
`;

export function renderHtmlReport(r: HtmlReport): string {
  const e = escapeHtml;
  const n = r.network;
  const out: string[] = [];
  out.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">', `<title>${e(r.title)}</title>`, `<style>${STYLE}</style>`, '</head>', '<body>', '<main>');
  out.push(`<h1>${e(r.title)}</h1>`);
  out.push(`<ul class="meta">${r.meta.map((m) => `<li>${e(m)}</li>`).join('')}</ul>`);
  if (r.provenance) out.push(`<p class="provenance">veribound ${e(r.provenance.version)}: <code>${e(r.provenance.command)}</code></p>`);

  out.push('<section id="network"><h2>Network</h2><div class="net">');
  const facts: [string, string][] = [['name', n.name], ['input', `[${n.inputShape.join(', ')}]`], ['parameters', n.params.toLocaleString('en-US')], ['layers', String(n.layers.length)]];
  if (n.clean) facts.push(['clean accuracy', `${((100 * n.clean.correct) / n.clean.total).toFixed(2)}% (${n.clean.correct}/${n.clean.total})`]);
  out.push(`<dl>${facts.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('')}</dl>`);
  out.push('<table class="layers"><thead><tr><th>#</th><th>layer</th><th>output shape</th></tr></thead><tbody>');
  n.layers.forEach((l, i) => out.push(`<tr><td>${i}</td><td>${e(l.text)}</td><td>[${e(l.shape.join(', '))}]</td></tr>`));
  out.push('</tbody></table></div></section>');

  if (r.plotSvg) {
    // the XML declaration is not allowed inside HTML; the <svg> element itself is
    const svg = r.plotSvg.replace(/^\s*<\?xml[^>]*\?>\s*/, '');
    if (!/^<svg[\s>]/.test(svg)) throw new UserError('report: the plot is not an SVG document');
    out.push(`<section id="curve" class="plot"><h2>Robust accuracy</h2>${svg}</section>`);
  }

  out.push(`<section id="table"><h2>Per-epsilon results</h2><table class="results"><caption>${e(r.table.caption)}</caption>`);
  out.push(`<thead><tr>${r.table.head.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>`);
  for (const row of r.table.rows) out.push(`<tr>${row.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`);
  out.push('</tbody></table></section>');

  if (r.examples.length) {
    out.push('<section id="examples"><h2>Examples</h2><div class="examples">');
    const scale = scaleFor(r.imageShape);
    const drawable = chw(r.imageShape) !== undefined;
    for (const ex of r.examples) {
      if (!drawable) {
        // not an image (e.g. a feature vector): the values themselves, and the change of a counterexample
        const show = (v: ArrayLike<number>) => `[${Array.from(v).slice(0, 12).map((x) => Number(x.toPrecision(4))).join(', ')}${v.length > 12 ? `, … (${v.length} values)` : ''}]`;
        const vals = [`x = ${show(ex.image)}`, ...(ex.adversarial ? [`x' = ${show(ex.adversarial)}`] : [])];
        out.push(`<figure class="example ${e(ex.status)}"><pre class="values">${vals.map(e).join('\n')}</pre>`);
        out.push(`<figcaption><span class="status ${e(ex.status)}">${e(ex.status)}</span> ${e(ex.title)}${ex.lines.map((l) => `<br>${e(l)}`).join('')}</figcaption></figure>`);
        continue;
      }
      const img = ex.adversarial
        ? renderAdversarial(ex.image, ex.adversarial, r.imageShape, { scale, gap: 6 })
        : renderImage(ex.image, r.imageShape, scale);
      const alt = `${ex.title}: ${ex.status}${ex.adversarial ? ' (original, adversarial, difference)' : ''}`;
      out.push(`<figure class="example ${e(ex.status)}"><img src="${pngDataUri(img)}" width="${img.width}" height="${img.height}" alt="${e(alt)}">`);
      out.push(`<figcaption><span class="status ${e(ex.status)}">${e(ex.status)}</span> ${e(ex.title)}${ex.lines.map((l) => `<br>${e(l)}`).join('')}</figcaption></figure>`);
    }
    out.push('</div></section>');
  }
  if (r.notes?.length) out.push(`<section class="notes">${r.notes.map((t) => `<p>${e(t)}</p>`).join('')}</section>`);
  out.push('</main>', '</body>', '</html>');
  return out.join('\n') + '\n';
}

/** Writes the page atomically (a temporary file, then a rename): a failure leaves nothing behind. */
export function writeHtmlReport(file: string, report: HtmlReport, flag = '--html'): void {
  writeFileAtomic(file, renderHtmlReport(report), flag);
}
