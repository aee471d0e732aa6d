// Projected-gradient attack on one input box towards an unsafe output set (a disjunction of
// conjunctions a·y ≤ b). Each batch row attacks one disjunct from its own start point: it
// minimises the conjunction's worst row max_r(a_r·y − b_r) with L∞ sign steps, projected back
// onto the box, step sizes shrinking geometrically. A row whose value reaches ≤ 0 is a
// candidate; it is reported only after the float64 forward pass confirms it inside the box.
import type { Network } from '../network.js';
import { inputSize, outputSize } from '../network.js';
import { forward } from '../forward.js';
import { inputGradient } from '../gradient.js';
import { makeRng } from '../train/rng.js';
import type { InputRegion } from '../spec/property.js';
import { insideBox, unsafeDisjunct } from '../spec/property.js';
import { now } from '../clock.js';

export interface PgdOptions {
  /** Start points per disjunct (the first one of each is the box centre). Default 8. */
  restarts?: number;
  /** Gradient steps per start. Default 50. */
  steps?: number;
  seed?: number;
  /** Stop (with what was found so far) after this now() value. */
  deadline?: number;
  /** Upper bound on rows per gradient call (memory). Default 256. */
  maxBatch?: number;
}

export interface PgdResult {
  /** A replayed counterexample: x in the box, forward(x) in the unsafe set. */
  counterexample: { x: Float64Array; y: Float64Array; disjunct: number } | null;
  /** The point with the smallest violation seen (a MILP incumbent hint), and that violation. */
  best: { x: Float64Array; value: number; disjunct: number };
  /** The same per disjunct (index into region.unsafe); value Infinity when never attacked. */
  perDisjunct: { x: Float64Array | null; value: number }[];
  /** Forward+gradient evaluations (rows). */
  evaluations: number;
}

/** Checks x on the float64 forward pass; returns the output and the disjunct it satisfies (−1: none). */
export function replay(net: Network, region: InputRegion, x: Float64Array, tol = 0): { y: Float64Array; disjunct: number } {
  const y = forward(net, x, 1) as Float64Array;
  const inBox = insideBox(region, x);
  return { y, disjunct: inBox ? unsafeDisjunct(region, y, tol) : -1 };
}

export function pgdAttack(net: Network, region: InputRegion, opts: PgdOptions = {}): PgdResult {
  const n = inputSize(net);
  const m = outputSize(net);
  const restarts = opts.restarts ?? 8;
  const steps = opts.steps ?? 50;
  const maxBatch = opts.maxBatch ?? 256;
  const deadline = opts.deadline ?? Infinity;
  const rng = makeRng(opts.seed ?? 1);
  const { lower, upper, unsafe } = region;
  const width = new Float64Array(n);
  for (let i = 0; i < n; i++) width[i] = upper[i] - lower[i];

  let evaluations = 0;
  const best = { x: centre(lower, upper), value: Infinity, disjunct: 0 };
  const perDisjunct: PgdResult['perDisjunct'] = unsafe.map(() => ({ x: null, value: Infinity }));
  const jobs: { disjunct: number; start: number }[] = [];
  for (let s = 0; s < restarts; s++) for (let k = 0; k < unsafe.length; k++) jobs.push({ disjunct: k, start: s });

  for (let j0 = 0; j0 < jobs.length; j0 += maxBatch) {
    if (now() > deadline) break;
    const chunk = jobs.slice(j0, j0 + maxBatch);
    const B = chunk.length;
    const x = new Float64Array(B * n);
    chunk.forEach((job, b) => {
      for (let i = 0; i < n; i++) {
        const r = job.start === 0 ? 0.5 : job.start % 2 ? rng.next() : (rng.next() < 0.5 ? 0 : 1); // centre, uniform, vertices
        x[b * n + i] = lower[i] + r * width[i];
      }
    });
    const c = new Float64Array(B * m);
    let found = scan(forward(net, x, B) as Float64Array);
    // one gradient call per step; its output (at the point before the step) picks the next
    // step's active rows, one step late, which only matters for multi-row conjunctions
    for (let t = 0; t < steps && !found && now() <= deadline; t++) {
      const { output, grad } = inputGradient(net, x, B, c);
      evaluations += B;
      if (t > 0 && (found = scan(output))) break;
      const step = 0.5 * Math.pow(0.02, t / Math.max(1, steps - 1)); // fraction of the box width
      for (let b = 0; b < B; b++) {
        for (let i = 0; i < n; i++) {
          const g = grad[b * n + i];
          if (g === 0) continue;
          const k = b * n + i;
          const v = x[k] - (g > 0 ? 1 : -1) * step * width[i];
          x[k] = v < lower[i] ? lower[i] : v > upper[i] ? upper[i] : v;
        }
      }
    }
    if (!found && now() <= deadline) found = scan(forward(net, x, B) as Float64Array);
    if (found) return found;

    // fills c from ys; returns a replayed counterexample if some row is in its unsafe set
    function scan(ys: Float64Array): PgdResult | null {
      for (let b = 0; b < B; b++) {
        const k = chunk[b].disjunct;
        const conj = unsafe[k];
        const y = ys.subarray(b * m, (b + 1) * m);
        let worst = -Infinity, arg = 0;
        for (let r = 0; r < conj.rows; r++) {
          let s = -conj.b[r];
          for (let j = 0; j < m; j++) s += conj.a[r * m + j] * y[j];
          if (s > worst) { worst = s; arg = r; }
        }
        if (!conj.rows) worst = 0;
        c.fill(0, b * m, (b + 1) * m);
        for (let j = 0; j < m; j++) c[b * m + j] = conj.rows ? conj.a[arg * m + j] : 0;
        if (worst < perDisjunct[k].value) perDisjunct[k] = { x: x.slice(b * n, (b + 1) * n), value: worst };
        if (worst < best.value) {
          best.value = worst;
          best.disjunct = k;
          best.x = x.slice(b * n, (b + 1) * n);
        }
        if (worst <= 0) {
          const cand = x.slice(b * n, (b + 1) * n);
          const r = replay(net, region, cand);
          if (r.disjunct >= 0) return { counterexample: { x: cand, y: r.y, disjunct: r.disjunct }, best, perDisjunct, evaluations };
        }
      }
      return null;
    }
  }
  return { counterexample: null, best, perDisjunct, evaluations };
}

function centre(lower: Float64Array, upper: Float64Array): Float64Array {
  const x = new Float64Array(lower.length);
  for (let i = 0; i < x.length; i++) x[i] = 0.5 * (lower[i] + upper[i]);
  return x;
}

