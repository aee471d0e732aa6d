// Cheap brackets on the minimal adversarial distance before the MILP: an upper bound from a
// PGD attack over growing L∞ radii (its point also starts HiGHS), and a lower bound from the
// largest radius CROWN verifies (valid for L1 too, since ‖v‖₁ ≥ ‖v‖∞). A tight upper bound is a
// small search box, hence few unstable ReLUs and tight big-M values.
import type { Network } from '../network.js';
import { outputSize } from '../network.js';
import { pgdAttack } from '../attack/pgd.js';
import { boundNetworkCpu } from '../bounds/index.js';
import { marginSpec } from '../spec/margins.js';
import type { Conjunction } from '../spec/property.js';
import { marginVector } from './verify.js';
import { now } from '../clock.js';

export interface BracketOptions {
  norm: 'linf' | 'l1';
  delta: number;
  target?: number;
  /** Largest per-value change allowed. */
  cap: number;
  domain: [number, number];
  /** now() value to stop by. */
  deadline: number;
}

export interface Bracket {
  /** Proven: no example within this L∞ (and L1) distance. */
  lower: number;
  /** Distance of `point`, an adversarial example that replays. */
  upper?: number;
  point?: Float64Array;
}

/** The outputs that count as adversarial, as disjuncts of a·y ≤ b (margins ≤ −δ). */
export function adversarialSet(out: number, label: number, delta: number, target?: number): Conjunction[] {
  const row = (c: Float64Array): Conjunction => ({ a: c, b: new Float64Array([-delta]), rows: 1 });
  if (out === 1) return [row(marginVector(1, label, 1 - label))];
  if (target !== undefined) {
    const others = [...Array(out).keys()].filter((k) => k !== target);
    const a = new Float64Array(others.length * out);
    others.forEach((k, r) => a.set(marginVector(out, k, target), r * out)); // y_k − y_target ≤ −δ
    return [{ a, b: new Float64Array(others.length).fill(-delta), rows: others.length }];
  }
  return [...Array(out).keys()].filter((j) => j !== label).map((j) => row(marginVector(out, label, j)));
}

export function bracketDistance(net: Network, x: Float64Array, label: number, o: BracketOptions): Bracket {
  const unsafe = adversarialSet(outputSize(net), label, o.delta, o.target);
  const region = (eps: number) => ({
    lower: x.map((v) => Math.max(o.domain[0], v - eps)),
    upper: x.map((v) => Math.min(o.domain[1], v + eps)),
    unsafe,
  });
  const dist = (p: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < p.length; i++) { const d = Math.abs(p[i] - x[i]); s = o.norm === 'linf' ? Math.max(s, d) : s + d; }
    return s;
  };
  const attack = (eps: number): Float64Array | undefined => {
    const r = pgdAttack(net, region(eps), { restarts: 4, steps: 40, deadline: o.deadline });
    return r.counterexample?.x;
  };
  const verified = (eps: number): boolean => {
    const r = region(eps);
    const res = boundNetworkCpu(net, { lower: r.lower, upper: r.upper, count: 1 }, { method: 'crown', spec: marginSpec(net, [label]) });
    return res.lower.every((v) => v > 0);
  };

  let lo = 0, hi = o.cap;
  let point: Float64Array | undefined;
  for (let eps = Math.min(0.005, o.cap); now() < o.deadline; eps = Math.min(eps * 2, o.cap)) {
    const p = attack(eps);
    if (p) { point = p; hi = eps; break; }
    lo = eps;
    if (eps >= o.cap) break;
  }
  // tighten: PGD between the last failure and the success, CROWN below
  let crownLo = 0, crownHi = point ? hi : o.cap;
  for (let k = 0; k < 8 && now() < o.deadline; k++) {
    const mid = (crownLo + crownHi) / 2;
    if (verified(mid)) crownLo = mid; else crownHi = mid;
  }
  if (point) {
    let a = Math.max(lo, crownLo), b = hi;
    for (let k = 0; k < 4 && now() < o.deadline; k++) {
      const mid = (a + b) / 2;
      const p = attack(mid);
      if (p) { b = mid; if (dist(p) < dist(point)) point = p; } else a = mid;
    }
  }
  return { lower: crownLo, upper: point ? dist(point) : undefined, point };
}
