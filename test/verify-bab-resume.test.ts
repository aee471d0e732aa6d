// Branch and bound that stops for time and goes on from its open domains (search.ts's
// BabFrontier, used by the cascade's bab stage for a second round): a search cut into many
// short calls (one batch each, every other one also cut by a 5 ms deadline), each resuming the
// last one's frontier, is the same search as one uninterrupted
// call — the same answer, the same number of domains bounded, the same depth (the whole search
// is held to the exact MILP in verify-bab-relu.test.ts). A frontier is taken once, and none is
// kept past keepBytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { inputSize, outputSize } from '../src/network.js';
import { alphaCrown } from './helpers/alpha-bounds.js';
import { generalBab, rootOf, type BabResult, type BabRoot, type BabRowSpec } from '../src/verify/bab/search.js';
import { forward } from '../src/forward.js';
import { milpLeaf } from '../src/verify/bab/leaf.js';
import type { LeafSolver } from '../src/verify/bab/leaf.js';
import { gaussian, randomNetwork, seededRng } from './helpers/random-network.js';

function instance(seed: number): { net: Network; lower: Float64Array; upper: Float64Array; a: Float64Array } {
  const rng = seededRng(7100 + seed);
  const net = randomNetwork(rng, { kind: 'dense', depth: 3, width: 10 + (seed % 4) });
  const n = inputSize(net);
  const lower = new Float64Array(n), upper = new Float64Array(n);
  const radius = 0.3 + 0.3 * rng();
  for (let i = 0; i < n; i++) { const c = 2 * rng() - 1; lower[i] = c - radius; upper[i] = c + radius; }
  const a = Float64Array.from({ length: outputSize(net) }, () => gaussian(rng));
  return { net, lower, upper, a };
}

/**
 * A threshold b for a·y ≤ b between the root's bound of a·y and the smallest sampled value:
 * above what CROWN proves at the root, so only a split search can prove it (where it holds).
 */
function threshold(net: Network, lower: Float64Array, upper: Float64Array, a: Float64Array, root: BabRoot, seed: number): Promise<number> {
  const rng = seededRng(seed);
  const n = inputSize(net), m = outputSize(net), N = 2000;
  const X = new Float64Array(N * n);
  for (let i = 0; i < X.length; i++) X[i] = lower[i % n] + rng() * (upper[i % n] - lower[i % n]);
  const Y = forward(net, X, N);
  let sampled = Infinity;
  for (let p = 0; p < N; p++) { let v = 0; for (let j = 0; j < m; j++) v += a[j] * Y[p * m + j]; sampled = Math.min(sampled, v); }
  // the root's margin for b = 0 is its lower bound of a·y
  return generalBab(net, lower, upper, [{ a, b: 0 }], { deadline: Date.now() - 1, root }).then((r) => r.rootMargin + 0.9 * (sampled - r.rootMargin));
}

function rootFor(net: Network, lower: Float64Array, upper: Float64Array): BabRoot {
  const alpha = alphaCrown(net, lower, upper, new Float64Array(outputSize(net)), 1, { iterations: 0, intermediate: 5 });
  return rootOf(net, lower, upper, alpha.bounds);
}

function leafOf(net: Network, lower: Float64Array, upper: Float64Array, rows: BabRowSpec[], root: BabRoot): LeafSolver {
  const leaf = milpLeaf(net, lower, upper, rows, root.bounds);
  assert.ok(leaf.leaf, 'the MILP encodes a ReLU net');
  return leaf.leaf!;
}

/**
 * The search in calls of `steps` batches each (odd calls also cut by a short deadline, which
 * can stop a leaf MILP midway), each resuming the last one's open domains.
 */
async function inSlices(net: Network, lower: Float64Array, upper: Float64Array, rows: BabRowSpec[], steps: number): Promise<{ res: BabResult; calls: number; domains: number }> {
  const root = rootFor(net, lower, upper);
  const leaf = leafOf(net, lower, upper, rows, root);
  let res = await generalBab(net, lower, upper, rows, { deadline: Date.now() + 60_000, maxSteps: steps, root, leaf, keepBytes: Infinity });
  let calls = 1, domains = res.domains;
  while (res.status === 'timeout' && calls < 10_000) {
    assert.ok(res.frontier, 'a stopped search within keepBytes hands back its open domains');
    const deadline = Date.now() + (calls % 2 ? 5 : 60_000);
    res = await generalBab(net, lower, upper, rows, { deadline, maxSteps: steps, root, leaf, resume: res.frontier, keepBytes: Infinity });
    calls++;
    domains += res.domains;
  }
  return { res, calls, domains };
}

test('a search resumed from its frontier call after call is the uninterrupted search: same answer, domains and margin', async () => {
  let compared = 0, deep = 0;
  for (let seed = 1; seed <= 16; seed++) {
    const { net, lower, upper, a } = instance(seed);
    const root = rootFor(net, lower, upper);
    const rows: BabRowSpec[] = [{ a, b: await threshold(net, lower, upper, a, root, seed) }];
    const whole = await generalBab(net, lower, upper, rows, { deadline: Date.now() + 60_000, maxSteps: 60, root, leaf: leafOf(net, lower, upper, rows, root) });
    // compared where the whole search proves within 60 batches (a threshold above the true minimum ends otherwise)
    if (whole.status !== 'proved') continue;
    const sliced = await inSlices(net, lower, upper, rows, 1);
    assert.is(sliced.res.status, whole.status, `seed ${seed}`);
    assert.is(sliced.domains, whole.domains, `seed ${seed}: domains bounded, sliced vs whole`);
    assert.is(sliced.res.maxDepth, whole.maxDepth, `seed ${seed}: depth`);
    assert.is(sliced.res.rootMargin, whole.rootMargin, `seed ${seed}: root margin`);
    compared++;
    if (whole.domains > 20 && sliced.calls > 3) deep++;
    if (process.env.VERIBOUND_TEST_DEBUG) console.log(seed, whole.domains, sliced.calls);
  }
  assert.ok(compared >= 10, `only ${compared} searches proved within 60 batches`);
  assert.ok(deep >= 4, `only ${deep} searches deep enough to be cut into several calls`);
});

test('a frontier is taken once, and none is kept past keepBytes', async () => {
  const { net, lower, upper, a } = instance(3);
  const root = rootFor(net, lower, upper);
  const rows: BabRowSpec[] = [{ a, b: await threshold(net, lower, upper, a, root, 3) }];
  // a deadline already past: the root is bounded, then the search stops with one open domain
  const first = await generalBab(net, lower, upper, rows, { deadline: Date.now() - 1, root, keepBytes: Infinity });
  assert.is(first.status, 'timeout');
  assert.ok(first.frontier);
  assert.is(first.frontier!.domains, 1);
  const none = await generalBab(net, lower, upper, rows, { deadline: Date.now() - 1, root, keepBytes: 0 });
  assert.is(none.status, 'timeout');
  assert.is(none.frontier, undefined);
  await generalBab(net, lower, upper, rows, { deadline: Date.now() - 1, root, resume: first.frontier, keepBytes: Infinity });
  let threw = false;
  try { await generalBab(net, lower, upper, rows, { deadline: Date.now() - 1, root, resume: first.frontier }); } catch { threw = true; }
  assert.ok(threw, 'resuming the same frontier twice is refused');
});

test.run();
