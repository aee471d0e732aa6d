// A tiny MNIST-shaped ReLU net (784 → hidden → 10, seeded random weights) on which the attack's
// MILP finishes in seconds: the attack, attack-table and queue-attack tests use it.
import { dense, makeNet, rng } from '../milp-brute.js';

export function smallMnistNet(seed: number, hidden: number) {
  const r = rng(seed);
  const w = (k: number, s: number) => Array.from({ length: k }, () => (r() * 2 - 1) * s);
  return makeNet(`mnist-small-${seed}`, [1, 28, 28], [
    [{ kind: 'reshape' }, [784]],
    [dense(784, hidden, w(784 * hidden, 0.1), w(hidden, 0.1))],
    [{ kind: 'relu' }],
    [dense(hidden, 10, w(hidden * 10, 1), w(10, 0.1))],
  ]);
}
