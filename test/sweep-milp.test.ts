// `sweep --milp` (src/sweep/milp.ts) against brute force: milpVerify on every (input, eps) pair on
// its own, with a generous limit. The completion's answers equal it pair by pair, with and without
// monotone skipping; the bounds never verify a pair the brute force falsifies; every counterexample
// replays inside its ball; a solver that decides nothing leaves the interval open but never wrong.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CpuEngine } from '../src/bounds/index.js';
import { MilpPool } from '../src/milp/index.js';
import type { MilpSolver } from '../src/milp/index.js';
import type { SweepRun } from '../src/sweep/scheduler.js';
import { runSweep } from '../src/sweep/scheduler.js';
import type { Completion } from '../src/sweep/milp.js';
import { completeSweep, FALSIFIED, newCompletionCache, UNDECIDED, VERIFIED } from '../src/sweep/milp.js';
import { seededRng } from './helpers/random-network.js';
import { PairBudget } from '../src/sweep/budget.js';
import { buildRows } from '../src/sweep/report.js';
import { innerBall, minMargin, replayCounterexample } from '../src/sweep/ball.js';
import { buildBoxes, nextDown, nextUp } from '../src/sweep/boxes.js';
import { bruteForce, candidates, checkCounterexample, count, E, eps, labels, n, net, problem, xs } from './sweep-milp-fixture.js';

const brute: string[] = [];
let runs: SweepRun[];

test.before(async () => {
  brute.push(...await bruteForce());
  const engine = new CpuEngine();
  runs = [];
  for (const method of ['ibp', 'crown'] as const) runs.push(await runSweep(engine, problem, { method, schedule: 'bisect' }));
  await engine.dispose();
});

test('the test problem has every kind of pair', () => {
  assert.ok(candidates.length < count && candidates.length >= count - 3, `${candidates.length} correct of ${count}`);
  const decided = (s: string) => candidates.reduce((c, i) => c + brute.slice(i * E, (i + 1) * E).filter((v) => v === s).length, 0);
  assert.ok(decided('verified') > 0 && decided('falsified') > 0, 'both answers occur among the correctly classified inputs');
  const undecidedByBounds = candidates.reduce((c, i) => c + eps.filter((_, k) => !runs[0].verified[i * E + k]).length, 0) - decided('falsified');
  assert.ok(undecidedByBounds > 0, 'IBP leaves some robust pairs to the MILP');
});

test('the completion equals brute force pair by pair, with and without monotone skipping', async () => {
  const pool = new MilpPool(2);
  try {
    for (const run of runs) {
      const results: Completion[] = [];
      for (const monotone of [true, false]) {
        const c = await completeSweep(problem, run.verified, { timeLimitS: 30, pool, monotone });
        results.push(c);
        for (let i = 0; i < count; i++) {
          for (let k = 0; k < E; k++) {
            const s = c.status[i * E + k];
            assert.is.not(s, UNDECIDED, `${run.method} monotone=${monotone}: (${i}, ${eps[k]}) left undecided`);
            assert.is(s === VERIFIED ? 'verified' : 'falsified', brute[i * E + k], `${run.method} monotone=${monotone}: input ${i} eps ${eps[k]}`);
            if (run.verified[i * E + k]) assert.is(brute[i * E + k], 'verified', 'the bounds never verify a falsifiable pair');
            if (s === FALSIFIED) checkCounterexample(i, k, c.counterexamples.get(i * E + k));
          }
        }
        assert.equal(Array.from(c.undecidedAfter), eps.map(() => 0));
        assert.is(c.conflicts, 0, 'no pair is both proven and refuted');
        // the work: every correctly classified pair the bounds did not verify
        const open = eps.map((_, k) => candidates.filter((i) => !run.verified[i * E + k]).length);
        assert.equal(Array.from(c.undecidedBefore), open);
      }
      const calls = (c: Completion) => Array.from(c.milpCalls).reduce((a, b) => a + b, 0) + c.attacks;
      assert.ok(calls(results[0]) < calls(results[1]), `${run.method}: monotone skipping saves queries (${calls(results[0])} vs ${calls(results[1])})`);
      // the interval closes: verified + falsified = samples at every eps
      const rows = buildRows(eps, count, candidates.length, [{ run, seconds: 0, completion: results[0] }]);
      rows.forEach((r, k) => {
        const v = candidates.filter((i) => brute[i * E + k] === 'verified').length;
        assert.is(r.verified, v);
        assert.is(r.falsified, count - v);
        assert.is(r.undecided, 0);
        assert.is(r.robustAccuracy, r.robustAccuracyUpper);
        assert.ok(r.boundVerified <= r.verified);
        assert.is(r.milp!.undecidedBefore, results[0].undecidedBefore[k]);
      });
    }
  } finally {
    await pool.close();
  }
});

test('answers carry over to the next method through the cache', async () => {
  const cache = newCompletionCache();
  const first = await completeSweep(problem, runs[0].verified, { timeLimitS: 30, cache });
  const second = await completeSweep(problem, runs[1].verified, { timeLimitS: 30, cache });
  assert.ok(second.cached > 0);
  assert.is(Array.from(second.milpCalls).reduce((a, b) => a + b, 0), 0, 'CROWN\'s open pairs are a subset of IBP\'s, all answered already');
  assert.equal(Array.from(second.status), Array.from(first.status));
});

test('a solver that decides nothing: the interval stays open, and every answer given is right', async () => {
  const never: MilpSolver = { solve: async () => ({ status: 'timeout', bound: -Infinity, timeS: 0, nodes: 0 }) };
  const c = await completeSweep(problem, runs[0].verified, { timeLimitS: 1, pool: never });
  let undecided = 0;
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < E; k++) {
      const s = c.status[i * E + k];
      if (s === UNDECIDED) { undecided++; continue; }
      // verified here only by the bounds or CROWN on the pair's box; falsified only by attacks
      assert.is(s === VERIFIED ? 'verified' : 'falsified', brute[i * E + k], `input ${i} eps ${eps[k]}`);
      if (s === FALSIFIED) checkCounterexample(i, k, c.counterexamples.get(i * E + k));
      if (s === VERIFIED) assert.ok(['bounds', 'crown'].includes(c.sources[c.source[i * E + k]]));
    }
  }
  assert.ok(undecided > 0 && c.milpTimeouts > 0);
  assert.is(c.conflicts, 0);
  assert.equal(Array.from(c.undecidedAfter).reduce((a, b) => a + b, 0), undecided);
  const rows = buildRows(eps, count, candidates.length, [{ run: runs[0], seconds: 0, completion: c }]);
  assert.ok(rows.some((r) => r.undecided > 0 && r.robustAccuracy < r.robustAccuracyUpper), 'some interval is open');
  rows.forEach((r) => assert.is(r.verified + r.falsified + r.undecided, count));
});

test('PairBudget: a pair\'s jobs share its limit from the first start, never more than `size` run at once', async () => {
  let running = 0, most = 0;
  const granted: number[] = [];
  const inner: MilpSolver = {
    solve: async (_data, opts) => {
      running++; most = Math.max(most, running);
      granted.push(opts.timeLimitS);
      await new Promise((r) => setTimeout(r, 1000 * Math.min(opts.timeLimitS, 0.15)));
      running--;
      return { status: 'timeout', bound: -Infinity, timeS: opts.timeLimitS, nodes: 0 };
    },
  };
  const budget = new PairBudget(inner, 2);
  const pairs = [budget.forPair(0.2), budget.forPair(0.2)];
  const data = {} as Parameters<MilpSolver['solve']>[0];
  const results = await Promise.all([0, 1, 0, 1, 0, 1, 0, 1].map((p) => pairs[p].solve(data, { timeLimitS: 5 })));
  assert.is(most, 2);
  assert.ok(granted.every((g) => g <= 0.2), `granted ${granted}`);
  assert.ok(results.some((r) => r.message === "the pair's time was spent"), 'later jobs of a pair find its time spent');
  const cancel = new Int32Array(new SharedArrayBuffer(4));
  Atomics.store(cancel, 0, 1);
  const calls = granted.length;
  const r = await budget.forPair(1).solve(data, { timeLimitS: 1, cancel });
  assert.is(r.status, 'cancelled');
  assert.is(granted.length, calls, 'a cancelled job never reaches the pool');
});

/** v · 2^1074 exactly (every double is a whole multiple of 2^-1074). */
function exact(v: number): bigint {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, v);
  const bits = dv.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  const scaled = expBits === 0 ? frac : (frac | (1n << 52n)) << BigInt(expBits - 1);
  return bits >> 63n ? -scaled : scaled;
}

test('the inner ball lies inside the real ball and is tight to an ulp (exact arithmetic)', () => {
  const r = seededRng(5);
  for (let t = 0; t < 2000; t++) {
    const x = t % 10 === 0 ? r() * 1e-3 : r();
    const e = [0.1, 0.3, 0.01, 1 / 3, r() * 0.2][t % 5];
    const { lower: [l], upper: [u] } = innerBall([x], e);
    const hiReal = exact(x) + exact(e), loReal = exact(x) - exact(e);
    assert.ok(exact(u) <= hiReal && exact(l) >= loReal, `x ${x} eps ${e}: [${l}, ${u}] leaves the ball`);
    if (u < 1) assert.ok(exact(nextUp(u)) > hiReal, `upper ${u} is not tight for x ${x} eps ${e}`);
    if (l > 0) assert.ok(exact(nextDown(l)) < loReal, `lower ${l} is not tight for x ${x} eps ${e}`);
  }
});

test('replay: a point an ulp outside the ball is pulled in; points that do not flip are refused', () => {
  // input and eps where the brute force found a counterexample; the corner of the proof box towards it
  const i = candidates[0];
  const x0 = xs.subarray(i * n, (i + 1) * n);
  let found: Float64Array | null = null, k = 0;
  for (k = 0; k < E && !found; k++) {
    const box = buildBoxes(xs, n, [i], [eps[k]]);
    // try the corners of the outward box (a MILP optimum often sits on one)
    for (let m = 0; m < 1 << n && !found; m++) {
      const corner = Float64Array.from(box.lower, (lo, d) => (m >> d) & 1 ? box.upper[d] : lo);
      if (minMargin(net, corner, labels[i]) < 0) found = corner;
    }
  }
  assert.ok(found, 'some corner flips the decision');
  const e = eps[k - 1];
  const ball = innerBall(x0, e);
  const outside = Array.from(found!).some((v, d) => v < ball.lower[d] || v > ball.upper[d]);
  assert.ok(outside, 'the proof box corner lies an ulp outside the ball');
  const p = replayCounterexample(net, x0, labels[i], e, found!);
  assert.ok(p, 'clipped into the ball, it still flips the decision');
  assert.is.not(p, found, 'a clipped copy');
  for (let d = 0; d < n; d++) assert.ok(p![d] >= ball.lower[d] && p![d] <= ball.upper[d] && Math.abs(p![d] - x0[d]) <= e);
  assert.ok(minMargin(net, p!, labels[i]) < 0);
  assert.is(replayCounterexample(net, x0, labels[i], e, Float64Array.from(x0)), null, 'the correctly classified input itself is no counterexample');
  assert.is(replayCounterexample(net, x0, labels[i], e, Float64Array.from(x0, () => NaN)), null);
});

test.run();
