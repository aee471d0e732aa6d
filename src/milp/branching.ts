// Which binary the branch-and-bound (bab.ts) splits on: reliability branching. Candidates are the
// binaries whose inequality rows the LP point violates most once the binary is rounded (for a
// ReLU, min(x, s): how far the LP point is from being a ReLU). Among them, the split whose two
// children raise the LP bound most (product of the gains) wins. A gain is measured by "strong
// branching" (solving both children's LPs, warm-started, a capped number of simplex
// iterations) until that binary has been measured in both directions, and from then on
// estimated by its pseudocost (the mean gain seen so far, also fed by the real child solves).
// Violation alone is close to random branching on big-M encodings; the bound gain is what
// shrinks the tree. Only the choice uses LP objective values: bounds stay the Lagrangian ones.
import type { Highs, Model } from 'highs';
import type { MilpData } from './builder.js';
import { now } from '../clock.js';

export interface Branch { k: number; order: [number, number] }

/** Per binary: the rows it appears in and its coefficients there. */
export interface BinaryRows { rows: Int32Array; coef: Float64Array }

export interface NodeLp {
  model: Model;
  highs: Highs;
  bins: readonly number[];
  binRows: readonly BinaryRows[];
  /** The node's binary bounds (by position in `bins`). */
  binLo: Float64Array;
  binHi: Float64Array;
  /** The node's LP point (columns) and row activities. */
  cols: Float64Array;
  act: Float64Array;
  /** The node's LP objective. */
  objective: number;
  data: MilpData;
  /** Interrupt callback (time limit, cancel). */
  guard: (ev: { interrupt(): void }) => undefined;
  deadline: number;
}

const INT_TOL = 1e-6;
/** Candidates looked at per node, and strong-branching LPs allowed per node. */
const CANDIDATES = 12;
const STRONG_PER_NODE = 8;
/** Simplex iterations per strong-branching LP: an estimate is enough. */
const STRONG_ITERS = 200;
/** Measurements per direction before the pseudocost is trusted. */
const RELIABLE = 1;
const INFEASIBLE_GAIN = 1e6;

export function rowsOfBinaries(data: MilpData, bins: readonly number[]): BinaryRows[] {
  const pos = new Map<number, number>(bins.map((j, k) => [j, k]));
  const rows: number[][] = bins.map(() => []), coef: number[][] = bins.map(() => []);
  for (let r = 0; r < data.numRows; r++) {
    for (let t = data.starts[r]; t < data.starts[r + 1]; t++) {
      const k = pos.get(data.indices[t]);
      if (k !== undefined) { rows[k].push(r); coef[k].push(data.values[t]); }
    }
  }
  return bins.map((_, k) => ({ rows: Int32Array.from(rows[k]), coef: Float64Array.from(coef[k]) }));
}

export class Brancher {
  private readonly sum: [Float64Array, Float64Array];
  private readonly cnt: [Int32Array, Int32Array];
  private total = [0, 0];
  private seen = [0, 0];
  /** Strong-branching LPs solved (for profiling). */
  strongLps = 0;

  constructor(n: number, private readonly strong = process.env.VERIBOUND_BAB_BRANCHING !== 'violation') {
    this.sum = [new Float64Array(n), new Float64Array(n)];
    this.cnt = [new Int32Array(n), new Int32Array(n)];
  }

  /** A child's LP gain over its parent's, for the pseudocosts. */
  record(k: number, v: number, gain: number): void {
    const g = Math.max(0, Math.min(gain, INFEASIBLE_GAIN));
    this.sum[v][k] += g; this.cnt[v][k]++;
    this.total[v] += g; this.seen[v]++;
  }

  private estimate(k: number, v: number): number {
    if (this.cnt[v][k]) return this.sum[v][k] / this.cnt[v][k];
    return this.seen[v] ? this.total[v] / this.seen[v] : 1;
  }

  /** The binary to split at this node and which child to explore first; undefined at a leaf. */
  choose(n: NodeLp): Branch | undefined {
    const cands = violated(n);
    if (!cands.length) return fallback(n);
    if (!this.strong) return { k: cands[0].k, order: cands[0].order };
    const top = cands.slice(0, CANDIDATES);
    let best: Branch | undefined, bestScore = -1;
    let strongLeft = STRONG_PER_NODE;
    let basis: ReturnType<Model['getBasis']> | undefined;
    try {
      for (const c of top) {
        let g0: number, g1: number;
        const reliable = this.cnt[0][c.k] >= RELIABLE && this.cnt[1][c.k] >= RELIABLE;
        if (!reliable && strongLeft > 0 && now() < n.deadline) {
          if (!basis) {
            basis = n.model.getBasis();
            n.model.options.set({ simplex_iteration_limit: STRONG_ITERS });
          }
          strongLeft--;
          g0 = this.strongGain(n, c.k, 0);
          g1 = this.strongGain(n, c.k, 1);
          n.model.changeColsBounds({ kind: 'set', indices: Int32Array.of(n.bins[c.k]) }, Float64Array.of(n.binLo[c.k]), Float64Array.of(n.binHi[c.k]));
          n.model.setBasis(basis);
        } else {
          g0 = this.estimate(c.k, 0);
          g1 = this.estimate(c.k, 1);
        }
        const score = Math.max(g0, 1e-6) * Math.max(g1, 1e-6);
        // the child with the lower bound first: it is where a better point is likeliest
        if (score > bestScore) { bestScore = score; best = { k: c.k, order: g0 <= g1 ? [0, 1] : [1, 0] }; }
      }
    } finally {
      if (basis) n.model.options.set({ simplex_iteration_limit: 2147483647 });
    }
    return best;
  }

  private strongGain(n: NodeLp, k: number, v: number): number {
    this.strongLps++;
    n.model.changeColsBounds({ kind: 'set', indices: Int32Array.of(n.bins[k]) }, Float64Array.of(v), Float64Array.of(v));
    try {
      n.model.run({ [n.highs.constants.callbackType.simplexInterrupt]: n.guard });
    } catch {
      return this.estimate(k, v); // an estimate is all this LP was for; the caller restores the basis
    }
    const S = n.highs.constants.modelStatus;
    const st = n.model.getModelStatus();
    let gain: number;
    if (st === S.infeasible) gain = INFEASIBLE_GAIN;
    else if (st === S.optimal || st === S.iterationLimit || st === S.objectiveBound) gain = n.model.getObjectiveValue() - n.objective;
    else return this.estimate(k, v);
    if (!Number.isFinite(gain)) gain = this.estimate(k, v);
    this.record(k, v, gain);
    return Math.max(gain, 0);
  }
}

/** Free binaries whose rows the LP point violates once rounded, most violated first. */
function violated(n: NodeLp): { k: number; score: number; order: [number, number] }[] {
  const { data, bins, binRows, binLo, binHi, cols, act } = n;
  const out: { k: number; score: number; order: [number, number] }[] = [];
  for (let k = 0; k < bins.length; k++) {
    if (binLo[k] === binHi[k]) continue;
    const v = cols[bins[k]];
    const { rows, coef } = binRows[k];
    let viol0 = 0, viol1 = 0;
    for (let t = 0; t < rows.length; t++) {
      const r = rows[t];
      const L = data.rowLower[r], U = data.rowUpper[r];
      if (L === U) continue; // equalities (Σ a = 1) say nothing about the rounding direction
      const a0 = act[r] - coef[t] * v, a1 = a0 + coef[t];
      viol0 += Math.max(0, L - a0, a0 - U);
      viol1 += Math.max(0, L - a1, a1 - U);
    }
    const score = Math.min(viol0, viol1);
    if (score > 1e-9) out.push({ k, score, order: viol0 <= viol1 ? [0, 1] : [1, 0] });
  }
  return out.sort((a, b) => b.score - a.score);
}

/** No violated row: the most fractional binary, else any free one (so every path ends at a leaf). */
function fallback(n: NodeLp): Branch | undefined {
  let frac = -1, fracScore = INT_TOL, anyFree = -1;
  for (let k = 0; k < n.bins.length; k++) {
    if (n.binLo[k] === n.binHi[k]) continue;
    if (anyFree < 0) anyFree = k;
    const v = n.cols[n.bins[k]];
    const f = Math.min(v, 1 - v);
    if (f > fracScore) { fracScore = f; frac = k; }
  }
  const k = frac >= 0 ? frac : anyFree;
  if (k < 0) return undefined;
  const first = n.cols[n.bins[k]] < 0.5 ? 0 : 1;
  return { k, order: [first, 1 - first] };
}
