// The sweep's attack: a short seeded PGD with random restarts on many (input, eps) pairs at once
// (one gradient call per step over every pair's rows, which is what makes it cheap next to the
// bounds). Each row descends the input's smallest margin y_label − y_j (the j is re-picked from
// the row's latest output) with L∞ sign steps of shrinking size, projected onto the ball rounded
// inward (ball.ts), so every point it looks at lies in the real ball. A pair counts as falsified
// only with a point that replayCounterexample accepts: inside the ball and some margin negative
// on the float64 forward pass. Start points depend only on (seed, input, restart), never on the
// batch or the epsilon list, so a resumed or re-batched sweep finds the same counterexamples;
// a pair may bring its own start for restart 1 (--complete: the counterexample of a larger ball
// shrunk toward the input), itself a function of the earlier, seeded phases.
import type { Network } from '../network.js';
import { inputSize, outputSize } from '../network.js';
import { inputGradient } from '../gradient.js';
import { forward } from '../forward.js';
import { makeRng } from '../train/rng.js';
import { marginRows, writeMarginRows } from '../spec/margins.js';
import { innerBall, replayCounterexample } from './ball.js';

export interface AttackPair {
  input: number;
  eps: number;
  /** Where restart 1 starts instead of a uniform point (projected onto the ball), e.g. a larger
   *  ball's counterexample shrunk toward the input (complete.ts). */
  start?: Float64Array;
}

export interface SweepAttackOptions {
  /** Start points per pair: the input itself, then uniform points of the ball. Default 2. */
  restarts?: number;
  /** Sign-gradient steps per start. Default 20. */
  steps?: number;
  seed?: number;
  /** Most rows per gradient call (memory). Default 512. */
  maxRows?: number;
  /** Per input position: the number its start points are drawn from (default the position): a block of a larger sweep (block.ts) draws the whole sweep's points. */
  seedIds?: ArrayLike<number>;
}

/** Per pair, a replayed counterexample or null (the attack found none: that proves nothing). */
export function attackPairs(net: Network, inputs: Float64Array, labels: ArrayLike<number>, pairs: readonly AttackPair[], opts: SweepAttackOptions = {}): (Float64Array | null)[] {
  const restarts = Math.max(1, opts.restarts ?? 2);
  const rowsPerPair = restarts;
  const maxPairs = Math.max(1, Math.floor((opts.maxRows ?? 512) / rowsPerPair));
  const out: (Float64Array | null)[] = new Array(pairs.length).fill(null);
  for (let p0 = 0; p0 < pairs.length; p0 += maxPairs) {
    const part = pairs.slice(p0, p0 + maxPairs);
    const found = attackChunk(net, inputs, labels, part, restarts, opts.steps ?? 20, opts.seed ?? 1, opts.seedIds);
    found.forEach((x, k) => { out[p0 + k] = x; });
  }
  return out;
}

function attackChunk(net: Network, inputs: Float64Array, labels: ArrayLike<number>, pairs: readonly AttackPair[], restarts: number, steps: number, seed: number, seedIds?: ArrayLike<number>): (Float64Array | null)[] {
  const n = inputSize(net);
  const m = outputSize(net);
  const R = marginRows(m);
  const found: (Float64Array | null)[] = new Array(pairs.length).fill(null);
  const balls = pairs.map((p) => innerBall(inputs.subarray(p.input * n, (p.input + 1) * n), p.eps));
  // rows: pair-major, one per restart
  let rows: number[] = [];
  for (let q = 0; q < pairs.length; q++) for (let r = 0; r < restarts; r++) rows.push(q * restarts + r);
  let x = new Float64Array(rows.length * n);
  rows.forEach((row, b) => {
    const q = Math.floor(row / restarts), r = row % restarts;
    const { input, eps } = pairs[q];
    const { lower, upper } = balls[q];
    const rng = makeRng((seed * 1_000_003 + (seedIds?.[input] ?? input) * 7919 + r) >>> 0);
    const start = r === 1 ? pairs[q].start : undefined;
    for (let i = 0; i < n; i++) {
      const v = start ? start[i] : inputs[input * n + i] + (r === 0 ? 0 : (2 * rng.next() - 1) * eps);
      x[b * n + i] = v < lower[i] ? lower[i] : v > upper[i] ? upper[i] : v;
    }
  });
  const gradient = (x: Float64Array, batch: number, c: Float64Array) => inputGradient(net, x, batch, c);
  const marginC = new Float64Array(R * m);
  // the margin row to descend per row, from the row's latest output; true when some row's
  // pair now has a replayed counterexample (those pairs' rows are then dropped)
  let c = new Float64Array(rows.length * m);
  const scan = (ys: Float64Array): boolean => {
    let any = false;
    for (let b = 0; b < rows.length; b++) {
      const q = Math.floor(rows[b] / restarts);
      if (found[q]) continue;
      const label = labels[pairs[q].input];
      marginC.fill(0);
      writeMarginRows(marginC, 0, label, m);
      let best = Infinity, arg = 0;
      for (let r = 0; r < R; r++) {
        let s = 0;
        for (let j = 0; j < m; j++) s += marginC[r * m + j] * ys[b * m + j];
        if (s < best) { best = s; arg = r; }
      }
      c.set(marginC.subarray(arg * m, (arg + 1) * m), b * m);
      if (best < 0) {
        const p = pairs[q];
        const cex = replayCounterexample(net, inputs.subarray(p.input * n, (p.input + 1) * n), label, p.eps, x.slice(b * n, (b + 1) * n));
        if (cex) { found[q] = cex; any = true; }
      }
    }
    return any;
  };
  const compact = () => {
    const keep: number[] = [];
    rows.forEach((row, b) => { if (!found[Math.floor(row / restarts)]) keep.push(b); });
    if (keep.length === rows.length) return;
    const nx = new Float64Array(keep.length * n), nc = new Float64Array(keep.length * m);
    keep.forEach((b, k) => { nx.set(x.subarray(b * n, (b + 1) * n), k * n); nc.set(c.subarray(b * m, (b + 1) * m), k * m); });
    rows = keep.map((b) => rows[b]);
    x = nx;
    c = nc;
  };
  if (scan(forward(net, x, rows.length))) compact();
  for (let t = 0; t < steps && rows.length; t++) {
    // c was picked at this point (or, after t = 0, one step late); the output is at this point
    const { output, grad } = gradient(x, rows.length, c);
    const hit = t > 0 && scan(output);
    const stepFrac = 0.5 * Math.pow(0.02, t / Math.max(1, steps - 1));
    for (let b = 0; b < rows.length; b++) {
      const q = Math.floor(rows[b] / restarts);
      if (found[q]) continue;
      const { lower, upper } = balls[q];
      const step = stepFrac * 2 * pairs[q].eps;
      for (let i = 0; i < n; i++) {
        const g = grad[b * n + i];
        if (g === 0) continue;
        const k = b * n + i;
        const v = x[k] - (g > 0 ? step : -step);
        x[k] = v < lower[i] ? lower[i] : v > upper[i] ? upper[i] : v;
      }
    }
    if (hit) compact();
  }
  if (rows.length) scan(forward(net, x, rows.length));
  return found;
}
