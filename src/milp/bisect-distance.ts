// The minimal L∞ adversarial distance by bisection over ε with the MILP *decision* query ("is
// any point of the ε-ball classified otherwise, by a margin of δ?"). Each query stops as soon as
// a bound proves the ball safe or a replayed point refutes it, which on MNIST nets is seconds,
// while minimising the distance itself (adversarial.ts) keeps the whole ball open to the
// branch-and-bound and rarely closes. A refuting point's own distance (≤ ε) becomes the new upper
// end; a proven ε the new lower end, so every step is exact and the answer is a bracket.
import type { Network } from '../network.js';
import { outputSize } from '../network.js';
import type { LayerBounds } from '../bounds/types.js';
import { boundNetworkCpu } from '../bounds/index.js';
import { marginSpec } from '../spec/margins.js';
import type { Box } from './encode/input.js';
import type { MilpSolver } from './problem.js';
import { remaining } from './problem.js';
import { milpVerify } from './verify.js';

export interface BisectOptions {
  delta: number;
  domain: [number, number];
  /** Stop when the bracket is this narrow. */
  tolerance: number;
  /** performance.now() time to stop by. */
  deadline: number;
  boundsFor?: (box: Box) => readonly (LayerBounds | undefined)[] | undefined;
  pool?: MilpSolver;
  solver?: 'bab' | 'mip';
}

export interface BisectStep { radius: number; status: string; binaries: number; timeS: number }

export interface BisectResult {
  /** Proven: no example with margin ≤ −δ within this L∞ distance. */
  lower: number;
  /** L∞ distance of `point`, a replayed example. */
  upper?: number;
  point?: Float64Array;
  steps: BisectStep[];
  binaries: number;
  /** Why it stopped before the tolerance, if it did. */
  stopped?: 'timeout' | 'unknown';
}

export async function bisectLinfDistance(
  net: Network, x: Float64Array, label: number, start: { lower: number; upper: number; point?: Float64Array }, o: BisectOptions,
): Promise<BisectResult> {
  let lo = start.lower, hi = start.upper;
  // below the radii whose query timed out: they lie near the boundary, where queries are hardest
  let probeHi = hi;
  let point = start.point;
  const steps: BisectStep[] = [];
  let binaries = 0;
  const out = outputSize(net);
  while (hi - lo > o.tolerance) {
    if (performance.now() >= o.deadline || probeHi - lo <= o.tolerance) return { lower: lo, upper: point ? hi : undefined, point, steps, binaries, stopped: 'timeout' };
    const r = (lo + probeHi) / 2;
    const t0 = performance.now();
    const box: Box = { lower: x.map((v) => Math.max(o.domain[0], v - r)), upper: x.map((v) => Math.min(o.domain[1], v + r)) };
    // CROWN settles some classes outright; the MILP sees only the rest
    const crown = boundNetworkCpu(net, { lower: box.lower, upper: box.upper, count: 1 }, { method: 'crown', spec: marginSpec(net, [label]) }).lower;
    const others = out === 1 ? [1 - label] : [...Array(out).keys()].filter((j) => j !== label);
    const classes = others.filter((_, k) => !(crown[k] > -o.delta));
    if (!classes.length) { lo = r; steps.push({ radius: r, status: 'verified (CROWN)', binaries: 0, timeS: (performance.now() - t0) / 1000 }); continue; }
    // a third of what is left (at least 5 s), so a hard radius leaves time to probe easier ones
    const v = await milpVerify(net, box, label, {
      timeLimitS: Math.min(remaining(o.deadline), Math.max(5, remaining(o.deadline) / 3)), layerBounds: o.boundsFor?.(box), incumbent: point, pool: o.pool, solver: o.solver, classes, delta: o.delta,
    });
    binaries = Math.max(binaries, v.binaries);
    steps.push({ radius: r, status: v.status, binaries: v.binaries, timeS: (performance.now() - t0) / 1000 });
    if (v.status === 'verified') lo = r;
    else if (v.status === 'falsified' && v.counterexample) {
      point = v.counterexample;
      let d = 0;
      for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(point[i] - x[i]));
      hi = Math.max(d, lo); // d ≥ lo always holds (lo is proven); max only guards rounding
      probeHi = Math.min(probeHi, hi);
    } else if (v.status === 'timeout') probeHi = r;
    else return { lower: lo, upper: point ? hi : undefined, point, steps, binaries, stopped: 'unknown' };
  }
  return { lower: lo, upper: point ? hi : undefined, point, steps, binaries };
}
