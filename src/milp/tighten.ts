// LP bound tightening at the root of the branch-and-bound: for each unstable ReLU after the
// first (in column order, so earlier tightenings help later ones), minimise and maximise its
// pre-activation x − s over the LP relaxation. The Lagrangian bounds of those LPs are valid for
// every real point, so they may replace the big-M values (rows x + u·z ≤ u and s + l·z ≤ 0) and
// the column bounds; a neuron whose new bounds do not cross zero loses its binary.
import type { Model } from 'highs';
import type { MilpData } from './builder.js';
import { lagrangianBound } from './lp-bound.js';
import { now, secondsLeft } from '../clock.js';

/** An unstable ReLU as the encoder writes it (relu.ts): columns x, s, z and its two big-M rows. */
export interface ReluCols {
  /** Position of z among the binaries. */
  k: number;
  x: number;
  s: number;
  z: number;
  /** Row x + u·z ≤ u and the CSR index of its z entry. */
  rowU: number;
  entU: number;
  /** Row s + l·z ≤ 0 (l < 0) and the CSR index of its z entry. */
  rowL: number;
  entL: number;
  /** Its pre-activation is an affine function of columns made before any ReLU. */
  first?: boolean;
}

/** Recognises the ReLU pattern around each binary; other binaries (max-pool, decisions) are skipped. */
export function findRelus(data: MilpData, bins: readonly number[]): ReluCols[] {
  const rowsOf = new Map<number, number[]>();
  const isBin = new Map<number, number>(bins.map((j, k) => [j, k]));
  for (let r = 0; r < data.numRows; r++) {
    const a = data.starts[r], b = data.starts[r + 1];
    if (b - a !== 2) continue;
    for (let t = a; t < b; t++) {
      const j = data.indices[t];
      if (isBin.has(j)) { const l = rowsOf.get(j) ?? []; l.push(r); rowsOf.set(j, l); }
    }
  }
  const out: ReluCols[] = [];
  for (const [z, rows] of rowsOf) {
    if (rows.length !== 2) continue;
    const parts = rows.map((r) => {
      const a = data.starts[r];
      const zi = data.indices[a] === z ? a : a + 1, oi = zi === a ? a + 1 : a;
      return { r, zi, other: data.indices[oi], ok: data.values[oi] === 1 && data.rowLower[r] === -Infinity };
    });
    const up = parts.find((p) => p.ok && data.values[p.zi] > 0 && data.rowUpper[p.r] === data.values[p.zi]);
    const lo = parts.find((p) => p.ok && data.values[p.zi] < 0 && data.rowUpper[p.r] === 0);
    if (!up || !lo || up === lo) continue;
    out.push({ k: isBin.get(z)!, x: up.other, s: lo.other, z, rowU: up.r, entU: up.zi, rowL: lo.r, entL: lo.zi });
  }
  // first-layer ReLUs (their equality row reads no column made after the first ReLU) have
  // exact interval bounds already: mark them so that tightening skips them
  const minX = Math.min(...out.map((q) => q.x));
  const byX = new Map<number, ReluCols>(out.map((q) => [q.x, q]));
  for (let r = 0; r < data.numRows; r++) {
    const a = data.starts[r], b = data.starts[r + 1];
    if (b - a < 3 || data.rowLower[r] !== data.rowUpper[r]) continue;
    let q: ReluCols | undefined, late = false;
    for (let t = a; t < b; t++) {
      const j = data.indices[t];
      const hit = byX.get(j);
      if (hit && data.values[t] === 1) q = hit;
      else if (j >= minX) late = true;
    }
    if (q && !late) q.first = true;
  }
  return out.sort((a, b) => a.z - b.z);
}

export interface TightenResult { tightened: number; stabilised: number; lps: number }

/**
 * Tightens `work` (a copy of the model data, kept equal to what HiGHS holds) and the model in
 * place; fixes binaries it decides in rootLo/rootHi. Stops at `deadline` (a now() value).
 */
export function tightenRoot(
  model: Model, work: MilpData, relus: readonly ReluCols[], rootLo: Float64Array, rootHi: Float64Array,
  deadline: number, statusOptimal: number, cancelled: () => boolean = () => false,
): TightenResult {
  const res: TightenResult = { tightened: 0, stabilised: 0, lps: 0 };
  const n = work.numCols;
  const cost0 = Float64Array.from(work.colCost), offset0 = work.offset;
  const all = { kind: 'range' as const, from: 0, to: n - 1 };
  const zero = new Float64Array(n);
  try {
    model.changeObjectiveOffset(0);
    work.offset = 0;
    for (const q of relus) {
      if (q.first || rootLo[q.k] === rootHi[q.k]) continue;
      if (now() > deadline || cancelled()) break;
      const u = work.values[q.entU], l = work.values[q.entL];
      const pre = (sign: number): number => {
        const c = zero.slice();
        c[q.x] = sign; c[q.s] = -sign;
        model.changeColsCost(all, c);
        work.colCost = c;
        // each LP within what is left (HiGHS's clock accumulates over runs otherwise)
        model.options.set({ time_limit: secondsLeft(deadline) });
        model.zeroAllClocks();
        model.run();
        res.lps++;
        if (model.getModelStatus() !== statusOptimal) return -Infinity;
        return lagrangianBound(work, model.getSolution().rowDual, work.colLower, work.colUpper);
      };
      const newL = Math.max(l, pre(1));
      const newU = Math.min(u, -pre(-1));
      if (newL >= 0) { fix(model, work, q, 0, rootLo, rootHi); res.stabilised++; continue; }
      if (newU <= 0) { fix(model, work, q, 1, rootLo, rootHi); res.stabilised++; continue; }
      if (newU < u - 1e-9 || newL > l + 1e-9) {
        res.tightened++;
        model.changeCoefficient(q.rowU, q.z, newU);
        model.changeRowBounds(q.rowU, -Infinity, newU);
        work.values[q.entU] = newU; work.rowUpper[q.rowU] = newU;
        model.changeCoefficient(q.rowL, q.z, newL);
        work.values[q.entL] = newL;
        setCol(model, work, q.x, 0, newU);
        setCol(model, work, q.s, 0, -newL);
      }
    }
  } finally {
    model.changeColsCost(all, cost0);
    model.changeObjectiveOffset(offset0);
    work.colCost = cost0;
    work.offset = offset0;
  }
  return res;
}

function setCol(model: Model, work: MilpData, j: number, lo: number, hi: number): void {
  work.colLower[j] = lo; work.colUpper[j] = hi;
  model.changeColBounds(j, lo, hi);
}

/** The neuron is stable: z fixed, and the side that is now zero closed. */
function fix(model: Model, work: MilpData, q: ReluCols, z: number, rootLo: Float64Array, rootHi: Float64Array): void {
  rootLo[q.k] = z; rootHi[q.k] = z;
  setCol(model, work, q.z, z, z);
  if (z === 0) setCol(model, work, q.s, 0, 0); else setCol(model, work, q.x, 0, 0);
}

/**
 * What root tightening changed, as sparse (index, old, new) triples, so that another model over
 * the same encoding (same network and box, another objective or extra rows after it) can take
 * it over: tightening depends on the rows, never on the objective.
 */
export interface TightenedBounds {
  cols: Int32Array; colOld: Float64Array; colLower: Float64Array; colUpper: Float64Array; colOldUpper: Float64Array;
  entries: Int32Array; valueOld: Float64Array; value: Float64Array;
  rows: Int32Array; rowOld: Float64Array; rowUpper: Float64Array;
  /** Hash of the model up to the last changed column, row and entry (input box included). */
  prefix: { cols: number; rows: number; entries: number; hash: number };
}

/** FNV-1a over the bits of the model's first columns, rows and matrix entries. */
function prefixHash(d: MilpData, cols: number, rows: number, entries: number): number {
  let h = 0x811c9dc5;
  const mix = (a: ArrayLike<number>, n: number) => {
    const f = new Float64Array(1), w = new Uint32Array(f.buffer);
    for (let i = 0; i < n; i++) {
      f[0] = a[i];
      h = Math.imul(h ^ w[0], 16777619); h = Math.imul(h ^ w[1], 16777619);
    }
  };
  mix(d.colLower, cols); mix(d.colUpper, cols); mix(d.rowLower, rows); mix(d.rowUpper, rows);
  mix(d.starts, rows + 1); mix(d.indices, entries); mix(d.values, entries); mix(d.integrality, cols);
  return h >>> 0;
}

/** The changes from `data` to `work` (binaries as decided at the root: rootLo/rootHi). */
export function tightenedDiff(data: MilpData, work: MilpData, bins: readonly number[], rootLo: Float64Array, rootHi: Float64Array): TightenedBounds | undefined {
  const lo = Float64Array.from(work.colLower), hi = Float64Array.from(work.colUpper);
  bins.forEach((j, k) => { lo[j] = rootLo[k]; hi[j] = rootHi[k]; });
  const cols: number[] = [], entries: number[] = [], rows: number[] = [];
  for (let j = 0; j < data.numCols; j++) if (lo[j] !== data.colLower[j] || hi[j] !== data.colUpper[j]) cols.push(j);
  for (let t = 0; t < data.values.length; t++) if (work.values[t] !== data.values[t]) entries.push(t);
  for (let r = 0; r < data.numRows; r++) if (work.rowUpper[r] !== data.rowUpper[r]) rows.push(r);
  if (!cols.length && !entries.length && !rows.length) return undefined;
  const pick = (a: ArrayLike<number>, idx: number[]) => Float64Array.from(idx, (i) => a[i]);
  const nc = Math.max(bins.length ? bins[bins.length - 1] + 1 : 0, cols.length ? cols[cols.length - 1] + 1 : 0);
  const nr = Math.max(rows.length ? rows[rows.length - 1] + 1 : 0, entries.length ? rowOfEntry(data, entries[entries.length - 1]) + 1 : 0);
  const ne = data.starts[nr]; // every entry of those rows
  return {
    prefix: { cols: nc, rows: nr, entries: ne, hash: prefixHash(data, nc, nr, ne) },
    cols: Int32Array.from(cols), colOld: pick(data.colLower, cols), colOldUpper: pick(data.colUpper, cols), colLower: pick(lo, cols), colUpper: pick(hi, cols),
    entries: Int32Array.from(entries), valueOld: pick(data.values, entries), value: pick(work.values, entries),
    rows: Int32Array.from(rows), rowOld: pick(data.rowUpper, rows), rowUpper: pick(work.rowUpper, rows),
  };
}

/**
 * `data` with the tightening applied, or undefined when `data` is not the model it was computed
 * on (any changed place holds another original value): applying it there could cut off points.
 */
export function applyTightened(data: MilpData, t: TightenedBounds): MilpData | undefined {
  const { cols, rows, entries, hash } = t.prefix;
  if (cols > data.numCols || rows > data.numRows || entries > data.values.length) return undefined;
  if (prefixHash(data, cols, rows, entries) !== hash) return undefined;
  const same = (a: ArrayLike<number>, idx: Int32Array, old: Float64Array) => idx.every((i, n) => a[i] === old[n]);
  if (!same(data.colLower, t.cols, t.colOld) || !same(data.colUpper, t.cols, t.colOldUpper) || !same(data.values, t.entries, t.valueOld)
    || !same(data.rowUpper, t.rows, t.rowOld)) return undefined;
  const out: MilpData = { ...data, colLower: Float64Array.from(data.colLower), colUpper: Float64Array.from(data.colUpper), values: Float64Array.from(data.values), rowUpper: Float64Array.from(data.rowUpper) };
  t.cols.forEach((j, n) => { out.colLower[j] = t.colLower[n]; out.colUpper[j] = t.colUpper[n]; });
  t.entries.forEach((e, n) => { out.values[e] = t.value[n]; });
  t.rows.forEach((r, n) => { out.rowUpper[r] = t.rowUpper[n]; });
  return out;
}

function rowOfEntry(d: MilpData, e: number): number {
  let lo = 0, hi = d.numRows - 1;
  while (lo < hi) { const m = (lo + hi + 1) >> 1; if (d.starts[m] <= e) lo = m; else hi = m - 1; }
  return lo;
}
