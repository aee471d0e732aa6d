// The problem the sweep --milp tests share: a small random ReLU network (3 inputs, 3 classes),
// 14 inputs (a few mislabelled), and epsilons that cross every kind of boundary; the brute-force
// reference (milpVerify on every pair with a generous limit) and the counterexample check.
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { inputSize } from '../src/network.js';
import { forward } from '../src/forward.js';
import { milpVerify } from '../src/milp/index.js';
import { predictedClass } from '../src/spec/margins.js';
import { buildBoxes } from '../src/sweep/boxes.js';
import type { SweepProblem } from '../src/sweep/scheduler.js';
import { randomNetwork, seededRng } from './helpers/random-network.js';

const rng = seededRng(99);
export const net: Network = randomNetwork(rng, { kind: 'dense', depth: 2, width: 10, outputs: 3 });
export const n = inputSize(net);
export const count = 14;
export const xs = Float64Array.from({ length: count * n }, () => rng());
const outs = forward(net, xs, count);
const predicted = Array.from({ length: count }, (_, i) => predictedClass(outs.subarray(i * 3, i * 3 + 3)));
export const labels = Int32Array.from(predicted, (p, i) => (i % 6 === 5 ? (p + 1) % 3 : p)); // a few misclassified
export const candidates = [...Array(count).keys()].filter((i) => predicted[i] === labels[i]);
export const eps = [0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5];
export const E = eps.length;
export const problem: SweepProblem = { net, inputs: xs, labels, count, eps, candidates };

/** Independent reference: 'verified' | 'falsified' for every pair (misclassified: falsified). */
export async function bruteForce(): Promise<string[]> {
  const out: string[] = new Array(count * E).fill('falsified');
  for (const i of candidates) {
    for (let k = 0; k < E; k++) {
      const box = buildBoxes(xs, n, [i], [eps[k]]);
      const r = await milpVerify(net, { lower: box.lower, upper: box.upper }, labels[i], { timeLimitS: 60 });
      assert.ok(r.status === 'verified' || r.status === 'falsified', `brute force undecided at input ${i} eps ${eps[k]}: ${r.status}`);
      out[i * E + k] = r.status;
    }
  }
  return out;
}

/** x within eps of x0 (|x − x0| ≤ eps, in [0, 1]) and the decision changes on the float64 network. */
export function checkCounterexample(i: number, k: number, x: Float64Array | undefined): void {
  assert.ok(x, `falsified pair (${i}, ${eps[k]}) has a counterexample`);
  const x0 = xs.subarray(i * n, (i + 1) * n);
  for (let d = 0; d < n; d++) {
    assert.ok(x![d] >= 0 && x![d] <= 1, 'inside the input domain');
    assert.ok(Math.abs(x![d] - x0[d]) <= eps[k], `|x - x0| = ${Math.abs(x![d] - x0[d])} > eps ${eps[k]} at input ${i}`);
  }
  const y = forward(net, x!, 1);
  const others = Array.from(y).filter((_, j) => j !== labels[i]);
  assert.ok(y[labels[i]] < Math.max(...others), `the counterexample of (${i}, ${eps[k]}) replays`);
}

