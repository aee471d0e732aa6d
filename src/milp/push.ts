// The other adversarial question: within a fixed L∞ budget (and an optional per-value cap),
// how far can the output be pushed towards another class? For each candidate class j this is
// the exact minimum of the margin y_label − y_j over the budget box, one MILP each; the most
// negative one is the strongest attack the budget allows (a positive one proves that no input
// in the box changes the decision). Every reported point is replayed by milpMinimizeLinear.
import type { Network } from '../network.js';
import { inputSize, logitNetwork, outputSize } from '../network.js';
import { UserError } from '../errors.js';
import { crownLayerBounds } from '../bounds/index.js';
import { forward } from '../forward.js';
import { predictedClass } from '../spec/margins.js';
import { milpMinimizeLinear, marginVector } from './verify.js';
import type { QueryOptions } from './problem.js';
import { now } from '../clock.js';

export interface PushOptions extends Omit<QueryOptions, 'layerBounds'> {
  /** L∞ budget: every value may move by at most this much (clipped to the domain). */
  budget: number;
  /** Further per-value cap (the reference project's 0.2); the box uses the smaller of the two. */
  maxChange?: number;
  /** Only push towards this class (default: every other class). */
  target?: number;
  /** Input domain (default [0, 1]). */
  domain?: [number, number];
}

export interface PushClass {
  j: number;
  status: 'optimal' | 'timeout' | 'unknown' | 'infeasible';
  /** Best margin y_label − y_j found (at `input`), or undefined when no point was found. */
  margin?: number;
  /** Proven lower bound on the margin over the box. */
  bound: number;
  timeS: number;
}

export interface PushResult {
  label: number;
  /** The class with the most negative margin found, and that point (replayed). */
  bestClass?: number;
  margin?: number;
  input?: Float64Array;
  output?: Float64Array;
  /** Class the network gives the best point (float64 forward). */
  newClass?: number;
  perClass: PushClass[];
  binaries: number;
  timeS: number;
}

export async function pushWithinBudget(net0: Network, x: Float64Array, label: number, opts: PushOptions): Promise<PushResult> {
  const net = logitNetwork(net0);
  const n = inputSize(net), m = outputSize(net);
  if (x.length !== n) throw new UserError(`input has ${x.length} values, ${net.name} takes ${n}`);
  if (!(opts.budget >= 0)) throw new UserError(`budget ${opts.budget}: expected a number ≥ 0`);
  const r = Math.min(opts.budget, opts.maxChange ?? Infinity);
  const [lo, hi] = opts.domain ?? [0, 1];
  const lower = new Float64Array(n), upper = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    lower[i] = Math.max(lo, x[i] - r);
    upper[i] = Math.min(hi, x[i] + r);
  }
  const box = { lower, upper };
  const layerBounds = crownLayerBounds(net, { lower, upper, count: 1 });
  const classes = opts.target !== undefined ? [opts.target] : m === 1 ? [1 - label] : [...Array(m).keys()].filter((j) => j !== label);
  const t0 = performance.now();
  const deadline = now() + opts.timeLimitS * 1000;
  const result: PushResult = { label, perClass: [], binaries: 0, timeS: 0 };
  for (let k = 0; k < classes.length; k++) {
    const j = classes[k];
    // an equal share of what is left for each class still to do
    const share = Math.max(0.05, (deadline - now()) / 1000 / (classes.length - k));
    const res = await milpMinimizeLinear(net, box, marginVector(m, label, j), { ...opts, timeLimitS: share, layerBounds });
    result.binaries = Math.max(result.binaries, res.binaries);
    result.perClass.push({ j, status: res.status, margin: res.value, bound: res.bound, timeS: res.timeS });
    if (res.input && res.value !== undefined && (result.margin === undefined || res.value < result.margin)) {
      result.bestClass = j;
      result.margin = res.value;
      result.input = res.input;
      result.output = res.output ?? forward(net, res.input, 1);
    }
  }
  if (result.output) result.newClass = predictedClass(result.output);
  result.timeS = (performance.now() - t0) / 1000;
  return result;
}
