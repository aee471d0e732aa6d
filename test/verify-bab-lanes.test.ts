// The bab stage on worker lanes (src/verify/bab/lanes.ts): with two lanes it closes exactly the
// disjuncts one lane closes (each lane runs the same search, and a domain limit instead of the
// clock ends the searches here, so both are deterministic), its counterexamples replay, the
// turns really ran on workers, and a set stop flag ends a search at its first batch; scripted
// lanes check the rounds: the time shares, and each resumed turn on the lane that keeps its domains.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inputSize } from '../src/network.js';
import { forward } from '../src/forward.js';
import { insideBox, unsafeDisjunct } from '../src/spec/property.js';
import { OpenSet } from '../src/verify/open-set.js';
import { babStage } from '../src/verify/bab-stage.js';
import { babWorkerJobs, localLane, workerLanes, type BabLane, type LaneContext } from '../src/verify/bab/lanes.js';
import { randomNetwork, seededRng } from './helpers/random-network.js';
import { robustnessProperty } from './helpers/robustness-property.js';

test('two worker lanes close exactly the disjuncts one lane closes; counterexamples replay', async () => {
  const rng = seededRng(31);
  const jobsBefore = babWorkerJobs();
  let sat = 0, closedAll = 0, partly = 0;
  for (let trial = 0; trial < 12; trial++) {
    const net = randomNetwork(rng, { kind: 'dense', depth: 3, width: 16, outputs: 5 });
    const x = Float64Array.from({ length: inputSize(net) }, () => rng());
    const prop = robustnessProperty(net, x, 0.1 + 0.25 * rng());
    const runs = [];
    for (const threads of [1, 2]) {
      const open = new OpenSet(prop);
      const res = await babStage(net, open, { deadline: Date.now() + 60_000, maxDomains: 1500, threads, log: () => {} });
      runs.push({ open, res });
    }
    const [one, two] = runs;
    for (const { res } of runs) {
      if (!res.counterexample) continue;
      const ok = prop.regions.some((r) => insideBox(r, res.counterexample!.x, 1e-9) && unsafeDisjunct(r, forward(net, res.counterexample!.x, 1)) >= 0);
      assert.ok(ok, `trial ${trial}: the counterexample does not replay`);
    }
    assert.is(two.res.counterexample === null, one.res.counterexample === null, `trial ${trial}: one lane and two lanes disagree on a counterexample`);
    if (one.res.counterexample) { sat++; continue; }
    // no counterexample: every disjunct had its whole search on both, so the same ones are closed
    assert.equal(two.open.open, one.open.open, `trial ${trial}: the lanes closed other disjuncts`);
    if (one.open.count() === 0) closedAll++; else if (one.res.closed > 0) partly++;
  }
  assert.ok(sat >= 1 && closedAll >= 1, `sat ${sat}, all closed ${closedAll}, some closed ${partly}`);
  assert.ok(babWorkerJobs() > jobsBefore, 'no turn ran on a worker');
});

test('scheduling on two lanes: a disjunct that runs out of time goes on where it stopped, on the lane that keeps its domains', async () => {
  const rng = seededRng(8);
  const net = randomNetwork(rng, { kind: 'dense', depth: 2, width: 8, outputs: 5 });
  const prop = robustnessProperty(net, Float64Array.from({ length: inputSize(net) }, () => rng()), 0.1);
  const open = new OpenSet(prop);
  // disjuncts 0 and 1 run out of time on their first turn and keep their domains; every other turn proves its disjunct
  const calls: { lane: number; k: number; resume?: number; share: number }[] = [];
  const start = Date.now(), deadline = start + 40_000;
  const lanes = (): BabLane[] => [0, 1].map((lane) => ({
    turn: async (t) => {
      calls.push({ lane, k: t.k, resume: t.resume, share: t.deadline - Date.now() });
      const first = t.resume === undefined && t.k <= 1;
      const res = { status: first ? 'timeout' as const : 'proved' as const, domains: 1, maxDepth: 0, margin: first ? -1 : 1, rootMargin: -1, lps: 0, timeS: 0 };
      return { res, noLeaf: null, ...(first ? { frontier: { ref: 100 * lane + t.k, bytes: 8, domains: 1 } } : {}) };
    },
    close: async () => {},
  }));
  const res = await babStage(net, open, { deadline, lanes, log: () => {} });
  assert.is(open.count(), 0, 'every disjunct closed');
  assert.is(res.closed, 4);
  const first = calls.slice(0, 4), later = calls.slice(4);
  assert.equal(first.map((c) => c.k).sort(), [0, 1, 2, 3], 'one first turn per disjunct');
  // the first turns share the time two at a time: the first of four gets 2/5 of it, not 1/4
  assert.ok(first[0].share > 0.38 * 40_000 && first[0].share < 0.41 * 40_000, `share ${first[0].share}`);
  assert.is(later.length, 2, 'the two disjuncts that ran out of time go round again');
  for (const c of later) {
    const was = first.find((f) => f.k === c.k)!;
    assert.is(c.lane, was.lane, `disjunct ${c.k} resumed on another lane`);
    assert.is(c.resume, 100 * was.lane + c.k, `disjunct ${c.k} resumed from another frontier`);
  }
});

test('a set stop flag ends a search at its first batch, on a worker and in this thread', async () => {
  const rng = seededRng(5);
  let tried = 0;
  for (let trial = 0; trial < 20 && tried < 2; trial++) {
    const net = randomNetwork(rng, { kind: 'dense', depth: 3, width: 24, outputs: 3 });
    const x = Float64Array.from({ length: inputSize(net) }, () => rng());
    const prop = robustnessProperty(net, x, 0.4);
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const ctx: LaneContext = { net, regions: prop.regions, stop, maxDomains: 300 };
    const free = await localLane(ctx).turn({ r: 0, k: 0, deadline: Date.now() + 60_000, keepBytes: 0 });
    // a disjunct the root neither proves nor refutes
    if (free.res.status === 'proved' || free.res.status === 'counterexample' || free.res.domains < 3) continue;
    tried++;
    Atomics.store(stop, 0, 1);
    for (const lane of [localLane(ctx), workerLanes(ctx, 1)[0]]) {
      const t0 = Date.now();
      const end = await lane.turn({ r: 0, k: 0, deadline: Date.now() + 60_000, keepBytes: 0 });
      await lane.close();
      assert.is(end.res.status, 'timeout', `trial ${trial}`);
      assert.is(end.res.domains, 1, `trial ${trial}: only the root was bounded`);
      assert.ok(Date.now() - t0 < 20_000, `trial ${trial}: the search went on`);
    }
  }
  assert.is(tried, 2, 'no disjunct left open by its root');
});

test.run();
