// The soundness check every branch-and-bound domain test makes: points sampled in the box, then
// moved by projected gradient steps that lower each bounded row, must never fall below the bound
// a domain computed for that row wherever they lie inside the domain's split region.
import * as assert from 'uvu/assert';
import type { Network } from '../../src/network.js';
import { INPUT, outputSize } from '../../src/network.js';
import { planOf } from '../../src/bounds/plan.js';
import type { LayerBounds } from '../../src/bounds/types.js';
import { forwardLayers } from '../../src/forward.js';
import { inputGradient } from '../../src/gradient.js';
import type { Split } from '../../src/bounds/optimise/domains.js';
import { pointsInBox, type Rng } from './random-network.js';
import { tolOf } from './bounds-check.js';

/** Whether point q (acts: every layer's outputs of the points) satisfies every split (ReLU: z ≥ 0 or ≤ 0; a cut: z ≥ p or ≤ p). */
export function inSplits(net: Network, splits: Split[], pts: Float64Array, acts: Float64Array[], q: number): boolean {
  const plan = planOf(net);
  return splits.every((s) => {
    const src = plan.layers[s.layer].inputs[0], n = plan.layers[s.layer].outSize, p = s.point ?? 0;
    const z = src === INPUT ? pts[q * plan.inSize + s.neuron] : acts[src][q * n + s.neuron];
    return s.active ? z >= p : z <= p;
  });
}

export interface DomainPointsCase {
  net: Network;
  lower: Float64Array;
  upper: Float64Array;
  /** J rows of output coefficients, J × outputs. */
  c: Float64Array;
  J: number;
  domains: Split[][];
  /** Lower bounds, domain-major: lb[d·J + j]. */
  lb: Float64Array;
  /** Whether point q (activations `acts`) satisfies every split of a domain. */
  inDomain: (splits: Split[], pts: Float64Array, acts: Float64Array[], q: number) => boolean;
  rng: Rng;
  points: number;
  /** Gradient steps per row after the sampled points (0: sampling only). */
  pgdSteps: number;
  label: string;
}

/** Checks every (domain, row, point inside the domain); returns how many checks were made. */
export function checkDomainPoints(k: DomainPointsCase): number {
  const { net, lower, upper, c, J, lb, rng, points: P } = k;
  const m = outputSize(net), n0 = lower.length;
  let checked = 0;
  for (let j = 0; j < J; j++) {
    const pts = pointsInBox(rng, { lower, upper, count: 1 }, 0, P);
    const cr = new Float64Array(P * m);
    for (let q = 0; q < P; q++) cr.set(c.subarray(j * m, (j + 1) * m), q * m);
    for (let step = 0; step <= k.pgdSteps; step++) {
      const acts = forwardLayers(net, pts, P);
      const y = acts[acts.length - 1];
      k.domains.forEach((splits, d) => {
        for (let q = 0; q < P; q++) {
          if (!k.inDomain(splits, pts, acts, q)) continue;
          let v = 0;
          for (let o = 0; o < m; o++) v += c[j * m + o] * y[q * m + o];
          if (!(v >= lb[d * J + j] - tolOf(v))) assert.unreachable(`${k.label} domain ${d} (${splits.length} splits) row ${j} step ${step}: ${v} below ${lb[d * J + j]}`);
          checked++;
        }
      });
      if (step === k.pgdSteps) break;
      const { grad } = inputGradient(net, pts, P, cr);
      for (let q = 0; q < P; q++) for (let i = 0; i < n0; i++) {
        pts[q * n0 + i] = Math.min(upper[i], Math.max(lower[i], pts[q * n0 + i] - 0.2 * (upper[i] - lower[i]) * Math.sign(grad[q * n0 + i])));
      }
    }
  }
  return checked;
}

/**
 * Every unstable ReLU (l < 0 < u on its input) of a box: [layer, neuron] pairs, the candidates
 * for random splits. `layers`: the network's or its plan's (the same indices).
 */
export function unstableReLUs(layers: readonly { op: { kind: string }; inputs: readonly number[] }[], bounds: LayerBounds[], lower: Float64Array, upper: Float64Array): [number, number][] {
  const out: [number, number][] = [];
  layers.forEach((p, j) => {
    if (p.op.kind !== 'relu') return;
    const b = p.inputs[0] === INPUT ? { lower, upper } : bounds[p.inputs[0]];
    for (let i = 0; i < b.lower.length; i++) if (b.lower[i] < 0 && b.upper[i] > 0) out.push([j, i]);
  });
  return out;
}
