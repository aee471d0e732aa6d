// Robust-accuracy-vs-epsilon curves as a self-contained SVG, written by hand (it is only
// text): axes with ticks, one polyline with point markers per series, a legend, and an
// optional shaded band per series (e.g. the interval [verified, 1 - falsified]).

export interface PlotSeries {
  label: string;
  x: number[];
  y: number[];
  /** Shaded between lower and upper at the same x (drawn under the line). */
  band?: { lower: number[]; upper: number[]; label?: string };
}

export interface PlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** x-axis range; default the data's. */
  xRange?: [number, number];
  /** y-axis range; default [0, 100]. */
  yRange?: [number, number];
  /** A dashed horizontal line with its own legend entry (e.g. clean accuracy). */
  reference?: { label: string; y: number };
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** About `target` round tick values covering [lo, hi] (steps of 1, 2 or 5 × 10^k). */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const fmt = (v: number) => Number(v.toPrecision(6)).toString();
const num = (v: number) => v.toFixed(2);

export function svgLinePlot(series: PlotSeries[], opts: PlotOptions = {}): string {
  const W = opts.width ?? 720;
  const H = opts.height ?? 440;
  const m = { left: 70, right: 170, top: 44, bottom: 60 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const xs = series.flatMap((s) => s.x);
  let x0 = opts.xRange?.[0] ?? (xs.length ? Math.min(...xs) : 0);
  let x1 = opts.xRange?.[1] ?? (xs.length ? Math.max(...xs) : 1);
  if (x1 === x0) { x0 -= x0 === 0 ? 0 : x0 * 0.1; x1 += x1 === 0 ? 1 : x1 * 0.1; }
  const [y0, y1] = opts.yRange ?? [0, 100];
  const X = (v: number) => m.left + ((v - x0) / (x1 - x0)) * pw;
  const Y = (v: number) => m.top + ph - ((Math.min(Math.max(v, y0), y1) - y0) / (y1 - y0)) * ph;

  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>`);
  if (opts.title) out.push(`<text x="${num(m.left + pw / 2)}" y="24" text-anchor="middle" font-size="15">${escapeXml(opts.title)}</text>`);

  // grid and ticks
  out.push('<g class="axes" stroke="#000" stroke-width="1">');
  for (const t of niceTicks(x0, x1)) {
    if (t < x0 || t > x1) continue;
    out.push(`<line x1="${num(X(t))}" y1="${m.top}" x2="${num(X(t))}" y2="${m.top + ph}" stroke="#e4e4e4"/>`);
    out.push(`<line x1="${num(X(t))}" y1="${m.top + ph}" x2="${num(X(t))}" y2="${m.top + ph + 5}"/>`);
    out.push(`<text x="${num(X(t))}" y="${m.top + ph + 19}" text-anchor="middle" stroke="none">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(y0, y1, 5)) {
    out.push(`<line x1="${m.left}" y1="${num(Y(t))}" x2="${m.left + pw}" y2="${num(Y(t))}" stroke="#e4e4e4"/>`);
    out.push(`<line x1="${m.left - 5}" y1="${num(Y(t))}" x2="${m.left}" y2="${num(Y(t))}"/>`);
    out.push(`<text x="${m.left - 8}" y="${num(Y(t) + 4)}" text-anchor="end" stroke="none">${fmt(t)}</text>`);
  }
  out.push(`<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}"/>`);
  out.push(`<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}"/>`);
  out.push('</g>');
  if (opts.xLabel) out.push(`<text x="${num(m.left + pw / 2)}" y="${H - 16}" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`);
  if (opts.yLabel) out.push(`<text transform="translate(18 ${num(m.top + ph / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(opts.yLabel)}</text>`);

  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.x.map((x, k) => `${num(X(x))},${num(Y(s.y[k]))}`).join(' ');
    out.push(`<g class="series" data-label="${escapeXml(s.label)}">`);
    if (s.band) {
      const up = s.x.map((x, k) => `${num(X(x))},${num(Y(s.band!.upper[k]))}`);
      const down = s.x.map((x, k) => `${num(X(x))},${num(Y(s.band!.lower[k]))}`).reverse();
      out.push(`<polygon class="band" points="${[...up, ...down].join(' ')}" fill="${color}" fill-opacity="0.15" stroke="none"/>`);
    }
    out.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2"/>`);
    s.x.forEach((x, k) => out.push(`<circle cx="${num(X(x))}" cy="${num(Y(s.y[k]))}" r="3" fill="${color}"><title>${escapeXml(`${s.label}: eps ${fmt(x)}, ${fmt(s.y[k])}`)}</title></circle>`));
    out.push('</g>');
    const ly = m.top + 10 + i * 20;
    const lx = m.left + pw + 16;
    out.push(`<g class="legend"><line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${color}" stroke-width="2"/><circle cx="${lx + 12}" cy="${ly}" r="3" fill="${color}"/><text x="${lx + 30}" y="${ly + 4}">${escapeXml(s.label)}</text></g>`);
  });
  // a legend row per labelled band (a swatch of its shade), after the lines
  let rowsUsed = series.length;
  series.forEach((s, i) => {
    if (!s.band?.label) return;
    const ly = m.top + 10 + rowsUsed++ * 20;
    const lx = m.left + pw + 16;
    out.push(`<g class="legend band"><rect x="${lx}" y="${ly - 6}" width="24" height="12" fill="${COLORS[i % COLORS.length]}" fill-opacity="0.15"/><text x="${lx + 30}" y="${ly + 4}">${escapeXml(s.band.label)}</text></g>`);
  });
  if (opts.reference) {
    const { label, y } = opts.reference;
    const ly = m.top + 10 + rowsUsed * 20;
    const lx = m.left + pw + 16;
    out.push(`<line class="reference" x1="${m.left}" y1="${num(Y(y))}" x2="${m.left + pw}" y2="${num(Y(y))}" stroke="#555" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    out.push(`<g class="legend"><line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="#555" stroke-width="1.5" stroke-dasharray="6 4"/><text x="${lx + 30}" y="${ly + 4}">${escapeXml(`${label} ${fmt(y)}`)}</text></g>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
