// The monotone sweep scheduler against a fake engine whose verdicts are known: input i is
// verified at eps exactly when eps < radius[i]. Checks that bisection gives the counts of
// evaluating every pair, never bounds a non-candidate, and batches one call per round.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { appendLayer } from '../src/network.js';
import type { BoundEngine, BoundOptions, BoundResult, Boxes } from '../src/bounds/types.js';
import { bisectRounds, runSweep, verifiedCounts } from '../src/sweep/scheduler.js';

const SIZE = 3;

function tinyNet(): Network {
  const net: Network = { name: 'fake', inputShape: [SIZE], layers: [], warnings: [] };
  appendLayer(net, { kind: 'dense', inFeatures: SIZE, outFeatures: 4, weight: new Float64Array(12), bias: new Float64Array(4) });
  return net;
}

/** Input i is encoded as x = [0.5, 0.25 + i * 1e-4, 0.5]; x[0] is never clipped, so the box's half-width is eps. */
function inputsFor(count: number): Float64Array {
  const x = new Float64Array(count * SIZE);
  for (let i = 0; i < count; i++) x.set([0.5, 0.25 + i * 1e-4, 0.5], i * SIZE);
  return x;
}

class FakeEngine implements BoundEngine {
  readonly backend = 'cpu' as const;
  calls = 0;
  boxesSeen = 0;
  seen = new Map<number, number[]>(); // input -> eps probed
  constructor(private verdict: (input: number, eps: number) => boolean) {}
  describe() { return 'fake'; }
  async dispose() {}
  async bound(_net: Network, boxes: Boxes, opts: BoundOptions): Promise<BoundResult> {
    this.calls++;
    this.boxesSeen += boxes.count;
    const rows = opts.spec!.rows;
    assert.is(rows, 3);
    const lower = new Float64Array(boxes.count * rows);
    for (let b = 0; b < boxes.count; b++) {
      const eps = (boxes.upper[b * SIZE] - boxes.lower[b * SIZE]) / 2;
      const input = Math.round(((boxes.lower[b * SIZE + 1] + boxes.upper[b * SIZE + 1]) / 2 - 0.25) / 1e-4);
      const probes = this.seen.get(input) ?? [];
      probes.push(eps);
      this.seen.set(input, probes);
      const ok = this.verdict(input, eps);
      // one margin row decides: the others are comfortably positive
      lower.set([1, ok ? 0.5 : -0.5, 2], b * rows);
    }
    return { lower, upper: lower.map((v) => v + 10), rows };
  }
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function bruteForce(verdict: (i: number, e: number) => boolean, count: number, candidates: number[], eps: number[]): number[] {
  return eps.map((e) => candidates.filter((i) => i < count && verdict(i, e)).length);
}

for (const E of [1, 2, 3, 7, 10, 16]) {
  test(`bisect gives the brute-force counts with one engine call per round (E = ${E})`, async () => {
    const rand = rng(E * 7919);
    const count = 200;
    const eps = Array.from({ length: E }, (_, k) => 0.001 + 0.01 * k);
    // radii straddle the whole list: some inputs verified nowhere, some everywhere
    const radius = Array.from({ length: count }, () => rand() * (0.01 * E + 0.01));
    const verdict = (i: number, e: number) => e < radius[i] - 1e-9;
    const candidates = Array.from({ length: count }, (_, i) => i).filter(() => rand() < 0.8);
    const engine = new FakeEngine(verdict);
    const run = await runSweep(engine, { net: tinyNet(), inputs: inputsFor(count), labels: new Int32Array(count).fill(2), count, eps, candidates }, { method: 'crown', schedule: 'bisect' });
    assert.equal(verifiedCounts(run, count, E), bruteForce(verdict, count, candidates, eps));
    assert.is(run.engineCalls, run.rounds);
    assert.is(engine.calls, run.rounds);
    assert.ok(run.rounds <= bisectRounds(E), `${run.rounds} rounds`);
    assert.is(run.pairsBounded, engine.boxesSeen);
    assert.ok(run.pairsBounded <= candidates.length * bisectRounds(E));
    assert.is(run.pairsTotal, count * E);
    if (E >= 7) assert.ok(run.pairsBounded < candidates.length * E, 'bisection bounds fewer pairs than all of them');
    // misclassified inputs are never bounded; every probe is one of the sweep's epsilons
    const cand = new Set(candidates);
    for (const [input, probes] of engine.seen) {
      assert.ok(cand.has(input), `input ${input} is not a candidate but was bounded`);
      for (const p of probes) assert.ok(eps.some((e) => Math.abs(e - p) < 1e-12), `probe eps ${p}`);
    }
    for (let i = 0; i < count; i++) if (!cand.has(i)) for (let e = 0; e < E; e++) assert.is(run.verified[i * E + e], 0);
  });
}

test('a small batch splits each round into several calls; the verdicts stay the same', async () => {
  const count = 50;
  const eps = [0.01, 0.02, 0.03, 0.04, 0.05];
  const radius = Array.from({ length: count }, (_, i) => (i % 7) * 0.01);
  const verdict = (i: number, e: number) => e < radius[i] - 1e-9;
  const candidates = Array.from({ length: count }, (_, i) => i);
  const engine = new FakeEngine(verdict);
  const run = await runSweep(engine, { net: tinyNet(), inputs: inputsFor(count), labels: new Int32Array(count), count, eps, candidates }, { method: 'ibp', batch: 8, schedule: 'bisect' });
  assert.equal(verifiedCounts(run, count, eps.length), bruteForce(verdict, count, candidates, eps));
  assert.ok(run.engineCalls > run.rounds);
  assert.ok(engine.boxesSeen <= run.engineCalls * 8);
});

test("'all' bounds every candidate pair and counts violations of monotonicity", async () => {
  const count = 30;
  const eps = [0.01, 0.02, 0.03, 0.04];
  // input 3 is verified at 0.03 but not at 0.01 or 0.02: 2 violations; the others are monotone
  const verdict = (i: number, e: number) => (i === 3 ? Math.abs(e - 0.03) < 1e-9 : e < (i % 5) * 0.01 - 1e-9);
  const candidates = Array.from({ length: count }, (_, i) => i).filter((i) => i !== 7);
  const engine = new FakeEngine(verdict);
  const run = await runSweep(engine, { net: tinyNet(), inputs: inputsFor(count), labels: new Int32Array(count), count, eps, candidates }, { method: 'crown', schedule: 'all' });
  assert.is(run.pairsBounded, candidates.length * eps.length);
  assert.is(run.nonMonotone, 2);
  assert.equal(verifiedCounts(run, count, eps.length), bruteForce(verdict, count, candidates, eps));
  assert.ok(!engine.seen.has(7));
});

for (const E of [1, 2, 5, 10, 16]) {
  test(`adaptive gives the brute-force counts on skewed boundaries and costs (E = ${E})`, async () => {
    const rand = rng(E * 31 + 5);
    const count = 300;
    const eps = Array.from({ length: E }, (_, k) => 0.01 * (k + 1));
    // most inputs verify at every epsilon, a few at none or in between
    const radius = Array.from({ length: count }, () => { const u = rand(); return u < 0.8 ? 1 : u < 0.9 ? 0 : rand() * 0.01 * (E + 1); });
    const verdict = (i: number, e: number) => e < radius[i] - 1e-9;
    const candidates = Array.from({ length: count }, (_, i) => i).filter((i) => i % 9 !== 3);
    const cost = eps.map((_, j) => 1 + j * j); // large epsilons are expensive, as CROWN on the CPU
    const problem = { net: tinyNet(), inputs: inputsFor(count), labels: new Int32Array(count), count, eps, candidates };
    const adaptive = new FakeEngine(verdict);
    const run = await runSweep(adaptive, problem, { method: 'crown', cost, pilot: 40 });
    const bisect = new FakeEngine(verdict);
    const runB = await runSweep(bisect, problem, { method: 'crown', schedule: 'bisect' });
    assert.equal(verifiedCounts(run, count, E), bruteForce(verdict, count, candidates, eps));
    assert.equal(verifiedCounts(runB, count, E), bruteForce(verdict, count, candidates, eps));
    assert.is(run.pilotInputs, E > 0 ? 40 : undefined);
    const spent = (r: typeof run) => r.boxesPerEps.reduce((s, n, j) => s + n * cost[j], 0);
    if (process.env.SWEEP_DEBUG) console.log(E, spent(run), spent(runB), run.pairsBounded, runB.pairsBounded);
    if (E >= 5) assert.ok(spent(run) < (E >= 10 ? 0.7 : 0.95) * spent(runB), `adaptive cost ${spent(run)} vs bisect ${spent(runB)}`);
    assert.ok(!adaptive.seen.has(3) && !adaptive.seen.has(12), 'misclassified inputs are not bounded');
    assert.is(run.engineCalls, run.rounds);
  });
}

test('adaptive plans per starting upper end: a boundary one below the attack\'s is found in two probes', async () => {
  const count = 300, E = 10;
  const eps = Array.from({ length: E }, (_, k) => 0.01 * (k + 1));
  // the attack falsified input i from index h(i) on; the bounds verify it below h(i) - 1
  const h = (i: number) => 2 + (i % 8);
  const verdict = (i: number, e: number) => e < eps[h(i) - 1] - 1e-9;
  const candidates = Array.from({ length: count }, (_, i) => i);
  const problem = { net: tinyNet(), inputs: inputsFor(count), labels: new Int32Array(count), count, eps, candidates };
  const hi = Int32Array.from(candidates, h);
  const engine = new FakeEngine(verdict);
  // equal probe costs: the pilot's measured engine times vary with the machine's load, and the plan with them
  const run = await runSweep(engine, problem, { method: 'crown', pilot: 80, hi, cost: new Float64Array(E).fill(1) });
  const want = eps.map((e) => candidates.filter((i) => verdict(i, e)).length);
  assert.equal(verifiedCounts(run, count, E), want);
  // after the pilot, each input needs its two neighbouring probes and no more
  let rest = 0;
  for (let i = 80; i < count; i++) rest += engine.seen.get(i)?.length ?? 0;
  assert.is(rest, 2 * (count - 80), `probes after the pilot: ${rest}`);
  const runB = await runSweep(new FakeEngine(verdict), problem, { method: 'crown', schedule: 'bisect', hi });
  assert.ok(run.pairsBounded < runB.pairsBounded, `adaptive ${run.pairsBounded} vs bisect ${runB.pairsBounded} pairs`);
});

test('progress callback adds up to the pairs bounded; time is attributed to the epsilons probed', async () => {
  const count = 40;
  const eps = [0.01, 0.02, 0.03];
  const engine = new FakeEngine((i, e) => e < (i % 4) * 0.01 - 1e-9);
  let ticks = 0;
  let estimate = 0;
  const run = await runSweep(engine, { net: tinyNet(), inputs: inputsFor(count), labels: new Int32Array(count), count, eps, candidates: Array.from({ length: count }, (_, i) => i) }, {
    method: 'crown', pilot: 10, onBounded: (n) => { ticks += n; }, onEstimate: (n) => { estimate = n; },
  });
  assert.is(ticks, run.pairsBounded);
  assert.ok(estimate > 10 && estimate <= count * eps.length, `estimate ${estimate}`);
  run.boxesPerEps.forEach((n, k) => assert.is(n > 0, run.secondsPerEps[k] > 0 || n > 0 && run.secondsPerEps[k] >= 0));
  assert.is(run.boxesPerEps.reduce((a, b) => a + b, 0), run.pairsBounded);
  const probed = new Set([...engine.seen.values()].flat().map((p) => eps.findIndex((e) => Math.abs(e - p) < 1e-12)));
  run.secondsPerEps.forEach((s, k) => { if (!probed.has(k)) assert.is(s, 0); else assert.ok(s >= 0); });
});

test('no candidates: nothing is bounded', async () => {
  const engine = new FakeEngine(() => true);
  const run = await runSweep(engine, { net: tinyNet(), inputs: inputsFor(5), labels: new Int32Array(5), count: 5, eps: [0.1, 0.2], candidates: [] }, { method: 'crown' });
  assert.is(engine.calls, 0);
  assert.equal(verifiedCounts(run, 5, 2), [0, 0]);
});

test.run();
