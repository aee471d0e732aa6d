// The minimal L∞ adversarial distance by bisection over ε with the *decision* query ("is any
// point of the ε-ball classified otherwise, by a margin of δ?"), asked of bab first on
// networks with ReLUs and of the MILP verifier for what it leaves open. Each query stops as soon as
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
import { milpVerify } from './verify.js';
import { adversarialSet } from './bracket.js';
import { alphaBox } from '../bounds/optimise/alpha.js';
import { OpenSet } from '../verify/open-set.js';
import { babStage } from '../verify/bab-stage.js';
import { now, secondsLeft } from '../clock.js';

export interface BisectOptions {
  delta: number;
  domain: [number, number];
  /** Stop when the bracket is this narrow. */
  tolerance: number;
  /** now() value to stop by. */
  deadline: number;
  boundsFor?: (box: Box) => readonly (LayerBounds | undefined)[] | undefined;
  pool?: MilpSolver;
  solver?: 'bab' | 'mip';
  /** After each step: the bracket [lower, upper] (upper: the best example's distance, if any). */
  onStep?: (lower: number, upper: number | undefined) => void;
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
  const hasRelu = net.layers.some((l) => l.op.kind === 'relu');
  while (hi - lo > o.tolerance) {
    // a turn of the event loop between steps, so that a Ctrl-C (a signal handler) can run
    await new Promise((resolve) => setImmediate(resolve));
    if (now() >= o.deadline || probeHi - lo <= o.tolerance) return { lower: lo, upper: point ? hi : undefined, point, steps, binaries, stopped: 'timeout' };
    const r = (lo + probeHi) / 2;
    const t0 = performance.now();
    const box: Box = { lower: x.map((v) => Math.max(o.domain[0], v - r)), upper: x.map((v) => Math.min(o.domain[1], v + r)) };
    // CROWN settles some classes outright; the MILP sees only the rest
    const crown = boundNetworkCpu(net, { lower: box.lower, upper: box.upper, count: 1 }, { method: 'crown', spec: marginSpec(net, [label]) }).lower;
    const others = out === 1 ? [1 - label] : [...Array(out).keys()].filter((j) => j !== label);
    // easiest first: time a class does not use rolls over to the harder ones after it
    const classes = others.map((j, k) => ({ j, lb: crown[k] })).filter((c) => !(c.lb > -o.delta)).sort((p, q) => q.lb - p.lb).map((c) => c.j);
    // a third of what is left (at least 5 s), so a hard radius leaves time to probe easier ones
    const budgetS = Math.min(secondsLeft(o.deadline), Math.max(5, secondsLeft(o.deadline) / 3));
    let decided: 'verified' | 'falsified' | 'timeout' | 'unknown' | undefined, by = '', found: Float64Array | undefined, used = 0;
    if (!classes.length) { decided = 'verified'; by = ' (CROWN)'; }
    else if (hasRelu) {
      // the ReLU-split branch and bound first (the engine's β-CROWN search, any network with
      // ReLUs: dense, CNNs, residual); the MILP gets what it leaves open
      const b = await babDecide(net, box, label, others, crown, classes, o.delta, now() + 0.9 * budgetS * 1000);
      const asked = classes.length;
      if (b.point) { decided = 'falsified'; found = b.point; }
      else if (!b.open.length) decided = 'verified';
      else classes.splice(0, classes.length, ...b.open);
      // which stages ran: decided by bab, or the MILP after it closed some classes
      by = decided ? ' (bab)' : ` (milp after bab closed ${asked - b.open.length} of ${asked} classes, ${b.domains} domains)`;
    }
    if (!decided) {
      const v = await milpVerify(net, box, label, {
        timeLimitS: Math.max(0.001, budgetS - (performance.now() - t0) / 1000), layerBounds: o.boundsFor?.(box), incumbent: point, pool: o.pool, solver: o.solver, classes, delta: o.delta,
      });
      used = v.binaries;
      binaries = Math.max(binaries, v.binaries);
      decided = v.status;
      found = v.counterexample;
    }
    steps.push({ radius: r, status: decided + by, binaries: used, timeS: (performance.now() - t0) / 1000 });
    if (decided === 'verified') lo = r;
    else if (decided === 'falsified' && found) {
      point = found;
      hi = Math.max(linf(point, x), lo); // the distance ≥ lo always holds (lo is proven); max only guards rounding
      probeHi = Math.min(probeHi, hi);
    } else if (decided === 'timeout') probeHi = r;
    else return { lower: lo, upper: point ? hi : undefined, point, steps, binaries, stopped: 'unknown' };
    o.onStep?.(lo, point ? hi : undefined);
  }
  return { lower: lo, upper: point ? hi : undefined, point, steps, binaries };
}

function linf(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/**
 * The decision query by the cascade's bab stage on the adversarial set (one disjunct per
 * class j in `others`, margin y_label − y_j ≤ −δ), only the classes in `classes` open: a point
 * it found and replayed, else the classes it left open (none: every margin proven > −δ).
 */
async function babDecide(
  net: Network, box: Box, label: number, others: number[], crown: Float64Array, classes: number[], delta: number, deadline: number,
): Promise<{ point?: Float64Array; open: number[]; domains: number }> {
  const out = outputSize(net);
  const region = { lower: box.lower, upper: box.upper, unsafe: adversarialSet(out, label, delta) };
  const open = new OpenSet({ source: 'bisection', numInputs: box.lower.length, numOutputs: out, regions: [region] });
  open.open[0] = others.map((j) => classes.includes(j));
  const start = now();
  // α-optimised intermediate bounds from the engine (no spec rows to optimise: the ReLU inputs only)
  const { bounds } = alphaBox(net, box.lower, box.upper, new Float64Array(out), 1, {
    iterations: 0, lr: 0.1, deadline: Infinity, intermediate: { iterations: 20, deadline: start + 0.25 * (deadline - start) },
  });
  // the stage goes from the largest violation bound down: CROWN's margin bound + δ, easiest first
  const res = await babStage(net, open, {
    deadline, bounds: [bounds], incumbents: [others.map((_, k) => ({ value: crown[k] + delta }))], log: () => {},
  });
  return { point: res.counterexample?.x, open: others.filter((_, k) => open.open[0][k]), domains: res.domains };
}
