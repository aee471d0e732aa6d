// Robust-accuracy-vs-epsilon curves as a self-contained SVG, written by hand (it is only text),
// sized for a paper: 400 px wide with 13-14 px text, so that at single-column width (~3.3 in)
// the text is still ~8 pt. Series are told apart by line style AND marker shape as well as by
// colour (a greyscale print keeps them apart); an optional band per series (e.g. the undecided
// interval [verified, 1 − falsified]) is shaded under its line and named in the legend; the
// dashed reference line (e.g. clean accuracy) is drawn first, under the curves, so a curve that
// starts at the clean accuracy stays visible; the legend sits below the plot, never over data.

export interface PlotSeries {
  label: string;
  x: number[];
  y: number[];
  /** Shaded between lower and upper at the same x (drawn under the line). */
  band?: { lower: number[]; upper: number[]; /** legend text (default "undecided (<label>)") */ label?: string };
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
  /** Appended to the y tick labels, the reference's legend and the point tooltips, e.g. "%". */
  yUnit?: string;
  /** A dashed horizontal line with its own legend entry (e.g. clean accuracy). */
  reference?: { label: string; y: number };
}

/** Okabe-Ito colours (safe for colour-blind readers), dark first. */
const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#000000', '#E69F00', '#56B4E9'];
/** Stroke dash patterns: solid, dashed, dotted, dash-dot, long dash. */
const DASHES = ['', '7 4', '2 3', '9 3 2 3', '12 4'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond', 'triangle-down', 'cross'] as const;
type Marker = (typeof MARKERS)[number];

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

/** One marker of `kind` centred at (x, y); `open` ones are hollow (a second cue besides the shape). */
function marker(kind: Marker, x: number, y: number, color: string, open: boolean, title?: string): string {
  const r = 3.6;
  // open markers are hollow (no fill), so a filled marker of another series at the same point shows through
  const fill = open ? 'none' : color;
  const attrs = `class="marker" fill="${fill}" stroke="${color}" stroke-width="1.4"`;
  const t = title ? `<title>${escapeXml(title)}</title>` : '';
  const poly = (pts: [number, number][]) => `<polygon points="${pts.map(([a, b]) => `${num(x + a)},${num(y + b)}`).join(' ')}" ${attrs}>${t}</polygon>`;
  switch (kind) {
    case 'circle': return `<circle cx="${num(x)}" cy="${num(y)}" r="${r}" ${attrs}>${t}</circle>`;
    case 'square': return `<rect x="${num(x - r * 0.9)}" y="${num(y - r * 0.9)}" width="${num(1.8 * r)}" height="${num(1.8 * r)}" ${attrs}>${t}</rect>`;
    case 'triangle': return poly([[0, -r * 1.2], [r * 1.1, r * 0.8], [-r * 1.1, r * 0.8]]);
    case 'triangle-down': return poly([[0, r * 1.2], [r * 1.1, -r * 0.8], [-r * 1.1, -r * 0.8]]);
    case 'diamond': return poly([[0, -r * 1.3], [r * 1.1, 0], [0, r * 1.3], [-r * 1.1, 0]]);
    case 'cross': return `<path d="M${num(x - r)},${num(y - r)}L${num(x + r)},${num(y + r)}M${num(x - r)},${num(y + r)}L${num(x + r)},${num(y - r)}" class="marker" stroke="${color}" stroke-width="1.8" fill="none">${t}</path>`;
  }
}

/** The drawing style of series i: colour, dash pattern, marker, open or filled marker. */
export function seriesStyle(i: number): { color: string; dash: string; marker: Marker; open: boolean } {
  return { color: COLORS[i % COLORS.length], dash: DASHES[i % DASHES.length], marker: MARKERS[i % MARKERS.length], open: i % 2 === 1 };
}

/** Roughly how wide `text` is in DejaVu Sans (wider than Helvetica), for laying out the legend. */
function textWidth(text: string, font: number): number {
  let em = 0;
  for (const ch of text) em += ch === ' ' ? 0.32 : /[A-Z%]/.test(ch) ? 0.74 : /[0-9]/.test(ch) ? 0.64 : /[il.,:;|()'\[\]]/.test(ch) ? 0.34 : 0.6;
  return em * font;
}

interface LegendEntry { label: string; draw(x: number, y: number): string; width: number }

export function svgLinePlot(series: PlotSeries[], opts: PlotOptions = {}): string {
  const W = opts.width ?? 400;
  const FONT = 13;
  const unit = opts.yUnit ?? '';
  const textW = (t: string) => textWidth(t, FONT);

  // the legend: one entry per series line, per band, and the reference; rows below the plot
  const entries: LegendEntry[] = [];
  // bands with the same points (e.g. two methods whose undecided intervals the MILP closed alike)
  // are drawn once, under one legend entry, instead of stacking into a muddy colour
  const bandKey = (s: PlotSeries) => (s.band ? s.x.map((x, k) => `${x},${s.band!.lower[k]},${s.band!.upper[k]}`).join(';') : '');
  const bandGroups = new Map<string, number[]>();
  series.forEach((s, i) => {
    // a band of zero width everywhere (an interval that closed) has nothing undecided to show
    if (!s.band || s.band.upper.every((u, k) => u === s.band!.lower[k])) return;
    const key = bandKey(s);
    bandGroups.set(key, [...(bandGroups.get(key) ?? []), i]);
  });
  const bandOwner = new Map<number, number[]>([...bandGroups.values()].map((g) => [g[0], g]));
  /** A band of one series in its colour; one shared by several in a neutral grey. */
  const bandColor = (i: number) => ((bandOwner.get(i)?.length ?? 1) > 1 ? '#777777' : seriesStyle(i).color);
  series.forEach((s, i) => {
    const st = seriesStyle(i);
    entries.push({
      label: s.label, width: 30 + textW(s.label),
      draw: (x, ly) => `<line x1="${x}" y1="${ly}" x2="${x + 24}" y2="${ly}" stroke="${st.color}" stroke-width="2"${st.dash ? ` stroke-dasharray="${st.dash}"` : ''}/>${marker(st.marker, x + 12, ly, st.color, st.open)}`,
    });
    const group = bandOwner.get(i);
    if (s.band && group) {
      const text = group.length === 1 ? (s.band.label ?? `undecided (${s.label})`) : `undecided (${group.map((j) => series[j].label).join(', ')})`;
      const color = bandColor(i);
      entries.push({ label: text, width: 30 + textW(text), draw: (x, ly) => `<rect class="band-key" x="${x}" y="${ly - 6}" width="24" height="12" fill="${color}" fill-opacity="0.2" stroke="${color}" stroke-opacity="0.5" stroke-width="0.8"/>` });
    }
  });
  if (opts.reference) {
    const { label, y } = opts.reference;
    const text = `${label} ${Number(y.toFixed(2))}${unit}`;
    entries.push({ label: text, width: 30 + textW(text), draw: (x, ly) => `<line x1="${x}" y1="${ly}" x2="${x + 24}" y2="${ly}" stroke="#666" stroke-width="1.2" stroke-dasharray="5 3"/>` });
  }
  const legendRows: LegendEntry[][] = [];
  {
    const avail = W - 16;
    let row: LegendEntry[] = [], used = 0;
    for (const e of entries) {
      if (row.length && used + e.width > avail) { legendRows.push(row); row = []; used = 0; }
      row.push(e);
      used += e.width + 14;
    }
    if (row.length) legendRows.push(row);
  }
  const m = { left: 56, right: 22, top: opts.title ? 34 : 14, bottom: 50 + 19 * legendRows.length };
  const H = opts.height ?? m.top + m.bottom + 230;
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;

  const xs = series.flatMap((s) => s.x);
  let x0 = opts.xRange?.[0] ?? (xs.length ? Math.min(...xs) : 0);
  let x1 = opts.xRange?.[1] ?? (xs.length ? Math.max(...xs) : 1);
  if (x1 === x0) { x0 -= x0 === 0 ? 0 : x0 * 0.1; x1 += x1 === 0 ? 1 : x1 * 0.1; }
  const [y0, y1] = opts.yRange ?? [0, 100];
  // a little room above the top tick so points at 100% are not drawn on the frame
  const yTop = y1 + (y1 - y0) * 0.04;
  const X = (v: number) => m.left + ((v - x0) / (x1 - x0)) * pw;
  const Y = (v: number) => m.top + ph - ((Math.min(Math.max(v, y0), yTop) - y0) / (yTop - y0)) * ph;

  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="${FONT}">`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>`);
  if (opts.title) out.push(`<text x="${num(m.left + pw / 2)}" y="22" text-anchor="middle" font-size="14">${escapeXml(opts.title)}</text>`);

  // grid and ticks
  out.push('<g class="axes" stroke="#000" stroke-width="1">');
  for (const t of niceTicks(x0, x1, 5)) {
    if (t < x0 || t > x1) continue;
    out.push(`<line x1="${num(X(t))}" y1="${m.top}" x2="${num(X(t))}" y2="${m.top + ph}" stroke="#e6e6e6"/>`);
    out.push(`<line x1="${num(X(t))}" y1="${m.top + ph}" x2="${num(X(t))}" y2="${m.top + ph + 4}"/>`);
    out.push(`<text x="${num(X(t))}" y="${m.top + ph + 18}" text-anchor="middle" stroke="none">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(y0, y1, 5)) {
    out.push(`<line x1="${m.left}" y1="${num(Y(t))}" x2="${m.left + pw}" y2="${num(Y(t))}" stroke="#e6e6e6"/>`);
    out.push(`<line x1="${m.left - 4}" y1="${num(Y(t))}" x2="${m.left}" y2="${num(Y(t))}"/>`);
    out.push(`<text x="${m.left - 7}" y="${num(Y(t) + 4.5)}" text-anchor="end" stroke="none">${fmt(t)}${escapeXml(unit)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none"/>`);
  out.push('</g>');
  if (opts.xLabel) out.push(`<text x="${num(m.left + pw / 2)}" y="${m.top + ph + 38}" text-anchor="middle" font-size="14">${escapeXml(opts.xLabel)}</text>`);
  if (opts.yLabel) out.push(`<text transform="translate(15 ${num(m.top + ph / 2)}) rotate(-90)" text-anchor="middle" font-size="14">${escapeXml(opts.yLabel)}</text>`);

  // under everything else: bands, then the reference line; the curves come last, on top
  series.forEach((s, i) => {
    if (!s.band || !bandOwner.has(i)) return;
    const color = bandColor(i);
    const up = s.x.map((x, k) => `${num(X(x))},${num(Y(s.band!.upper[k]))}`);
    const down = s.x.map((x, k) => `${num(X(x))},${num(Y(s.band!.lower[k]))}`).reverse();
    out.push(`<polygon class="band" data-label="${escapeXml(s.label)}" points="${[...up, ...down].join(' ')}" fill="${color}" fill-opacity="0.2" stroke="none"/>`);
  });
  if (opts.reference) {
    out.push(`<line class="reference" x1="${m.left}" y1="${num(Y(opts.reference.y))}" x2="${m.left + pw}" y2="${num(Y(opts.reference.y))}" stroke="#666" stroke-width="1.2" stroke-dasharray="5 3"/>`);
  }
  series.forEach((s, i) => {
    const st = seriesStyle(i);
    const pts = s.x.map((x, k) => `${num(X(x))},${num(Y(s.y[k]))}`).join(' ');
    out.push(`<g class="series" data-label="${escapeXml(s.label)}">`);
    out.push(`<polyline points="${pts}" fill="none" stroke="${st.color}" stroke-width="2"${st.dash ? ` stroke-dasharray="${st.dash}"` : ''} stroke-linejoin="round"/>`);
    s.x.forEach((x, k) => out.push(marker(st.marker, X(x), Y(s.y[k]), st.color, st.open, `${s.label}: ε = ${fmt(x)}, ${fmt(s.y[k])}${unit}`)));
    out.push('</g>');
  });

  legendRows.forEach((row, r) => {
    let lx = 8;
    const ly = m.top + ph + 58 + r * 19;
    for (const e of row) {
      out.push(`<g class="legend">${e.draw(lx, ly)}<text x="${num(lx + 30)}" y="${num(ly + 4.5)}">${escapeXml(e.label)}</text></g>`);
      lx += e.width + 14;
    }
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
