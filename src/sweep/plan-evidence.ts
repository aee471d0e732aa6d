// The 'adaptive' schedule's probe plans (plan.ts) conditioned on what is known of an input
// beyond its bracket: where its search started from above (hi: the attack's first falsified
// epsilon), and the bound its last probe gave. The worst margin lower bound at eps_j, relative
// to the input's margin at ε = 0, says much about where the boundary is: CROWN's bound on a
// 6-layer MLP stays near the clean margin until shortly before it collapses, then falls to
// thousands of times the margin below zero, so "failed by a little" means "verified one step
// below" and "verified at 95% of the margin" means "several steps more". The pilot (bisected),
// then every block of inputs the plans resolved, supply the evidence: per (starting hi), and per
// (last probe's index, margin bin, hi), the boundaries its inputs had (as counts); each plan is
// the least-expected-cost plan for those, smoothed
// toward the coarser distribution above it (whole pilot ⊂ per hi ⊂ per probe evidence) with the
// weight of a few inputs, so that sparse evidence falls back to the coarser plan. Plans only
// choose which epsilon to probe next; every verdict still comes from the engine.
import type { Network } from '../network.js';
import { forward } from '../forward.js';
import { marginsOf } from '../spec/margins.js';
import { optimalPlan, type ProbePlan } from './plan.js';

/** How many pilot inputs a coarser distribution weighs in a finer plan. */
const SMOOTH_WEIGHT = 3;

/** Per input: its smallest margin y_label − y_j at the input itself (the float64 forward pass). */
export function cleanMargins(net: Network, inputs: Float64Array, size: number, which: readonly number[], labels: ArrayLike<number>, count: number): Float64Array {
  const out = new Float64Array(count).fill(NaN);
  const B = 512;
  for (let s = 0; s < which.length; s += B) {
    const part = which.slice(s, s + B);
    const x = new Float64Array(part.length * size);
    part.forEach((i, k) => x.set(inputs.subarray(i * size, (i + 1) * size), k * size));
    const y = forward(net, x, part.length);
    const m = y.length / part.length;
    part.forEach((i, k) => { out[i] = Math.min(...marginsOf(y.subarray(k * m, (k + 1) * m), labels[i])); });
  }
  return out;
}

/** A probe's worst margin bound relative to the clean margin, in one of 13 bins (−1: no clean margin to compare with). */
export function marginBin(worst: number, clean: number): number {
  if (!(clean > 0) || Number.isNaN(worst)) return -1;
  const r = worst / clean;
  if (r < 0) return r < -3000 ? 0 : r < -1000 ? 1 : r < -300 ? 2 : r < -100 ? 3 : r < -10 ? 4 : 5;
  return r < 0.3 ? 6 : r < 0.6 ? 7 : r < 0.8 ? 8 : r < 0.9 ? 9 : r < 0.95 ? 10 : r < 0.98 ? 11 : 12;
}

/** One piece of pilot evidence: a probe at index j with margin bin `bin`, on an input that started at hi and has boundary k. */
export interface Evidence { j: number; bin: number; hi: number; k: number }

export class EvidencePlans {
  private readonly byHi = new Map<number, { p: Float64Array; plan: ProbePlan }>();
  private readonly byProbe = new Map<string, ProbePlan>();
  /** Boundary counts per starting hi, and per `j,bin,hi`. */
  private readonly hiCounts = new Map<number, Float64Array>();
  private readonly probeCounts = new Map<string, Float64Array>();

  /** prior: the whole pilot's boundary distribution (smoothed). */
  constructor(private readonly prior: Float64Array, private readonly cost: ArrayLike<number>) {}

  /** More resolved inputs: per input [hi, k], and their probes' evidence (the plans are made anew). */
  add(ends: [number, number][], evidence: Evidence[]): void {
    const E1 = this.prior.length;
    const count = <K>(m: Map<K, Float64Array>, key: K, k: number) => {
      let c = m.get(key);
      if (!c) m.set(key, (c = new Float64Array(E1)));
      c[k] += 1;
    };
    for (const [hi, k] of ends) count(this.hiCounts, hi, k);
    for (const e of evidence) count(this.probeCounts, `${e.j},${e.bin},${e.hi}`, e.k);
    this.byHi.clear();
    this.byProbe.clear();
  }

  private hiEntry(h: number): { p: Float64Array; plan: ProbePlan } {
    let e = this.byHi.get(h);
    if (!e) {
      const p = plus(weighted(this.prior), this.hiCounts.get(h));
      this.byHi.set(h, (e = { p, plan: optimalPlan(p, this.cost) }));
    }
    return e;
  }

  /** The plan for an input that started at hi = h, before its first probe (or without evidence). */
  planFor(h: number): ProbePlan {
    return this.hiEntry(h).plan;
  }

  /** The plan after a probe at index j whose margin fell in `bin` (−1: planFor(h)). */
  planAfter(j: number, bin: number, h: number): ProbePlan {
    if (bin < 0) return this.planFor(h);
    const key = `${j},${bin},${h}`;
    let plan = this.byProbe.get(key);
    if (!plan) this.byProbe.set(key, (plan = optimalPlan(plus(weighted(this.hiEntry(h).p), this.probeCounts.get(key)), this.cost)));
    return plan;
  }
}

/** p + counts (in place). */
function plus(p: Float64Array, counts: Float64Array | undefined): Float64Array {
  if (counts) for (let k = 0; k < p.length; k++) p[k] += counts[k];
  return p;
}

/** A distribution scaled to the weight of SMOOTH_WEIGHT inputs. */
function weighted(p: Float64Array): Float64Array {
  const total = p.reduce((a, b) => a + b, 0);
  return p.map((v) => (total > 0 ? (SMOOTH_WEIGHT * v) / total : 0));
}
