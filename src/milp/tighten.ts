// LP bound tightening at the root of the branch-and-bound: for each unstable ReLU after the
// first (in column order, so earlier tightenings help later ones), minimise and maximise its
// pre-activation x − s over the LP relaxation. The Lagrangian bounds of those LPs are valid for
// every real point, so they may replace the big-M values (rows x + u·z ≤ u and s + l·z ≤ 0) and
// the column bounds; a neuron whose new bounds do not cross zero loses its binary.
import type { Model } from 'highs';
import type { MilpData } from './builder.js';
import { lagrangianBound } from './lp-bound.js';

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
 * place; fixes binaries it decides in rootLo/rootHi. Stops at `deadline` (performance.now()).
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
      if (performance.now() > deadline || cancelled()) break;
      const u = work.values[q.entU], l = work.values[q.entL];
      const pre = (sign: number): number => {
        const c = zero.slice();
        c[q.x] = sign; c[q.s] = -sign;
        model.changeColsCost(all, c);
        work.colCost = c;
        // each LP within what is left (HiGHS's clock accumulates over runs otherwise)
        model.options.set({ time_limit: Math.max((deadline - performance.now()) / 1000, 0.001) });
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
