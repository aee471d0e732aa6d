import { test } from 'uvu';
import { guard, sharedMissing } from './helpers/requires.js';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import type { Network, Op } from '../src/network.js';
import { INPUT } from '../src/network.js';
import { loadOnnxFile } from '../src/onnx/load.js';
import { readVnnlib } from '../src/spec/vnnlib.js';
import type { Property } from '../src/spec/property.js';
import { insideBox, unsafeDisjunct } from '../src/spec/property.js';
import { CpuEngine } from '../src/bounds/index.js';
import { forward } from '../src/forward.js';
import { pgdAttack } from '../src/attack/pgd.js';
import { verifyProperty } from '../src/verify/cascade.js';
import type { VerifyOutcome } from '../src/verify/outcome.js';
import { makeRng } from '../src/train/rng.js';
import { robustnessProperty } from './helpers/robustness-property.js';

/** For the tests that read VNN-COMP files from ../shared (skipped with one line without it). */
const sharedTest = guard(test, sharedMissing());

const sanity = path.resolve('..', 'shared', 'benchmarks', 'sanity');
const engine = new CpuEngine();
const quiet = () => {};
const rng = makeRng(11);

/** Every unsat must survive a strong attack and dense sampling; every sat must replay. */
function checkAnswer(net: Network, prop: Property, out: VerifyOutcome, what: string): void {
  if (out.answer === 'sat') {
    const cex = out.counterexample!;
    const y = forward(net, cex.x, 1);
    const ok = prop.regions.some((r) => insideBox(r, cex.x, 1e-4) && unsafeDisjunct(r, y) >= 0);
    assert.ok(ok, `${what}: sat counterexample does not replay`);
  }
  if (out.answer === 'unsat') {
    for (const region of prop.regions) {
      const a = pgdAttack(net, region, { restarts: 24, steps: 80, seed: 99 });
      assert.is(a.counterexample, null, `${what}: unsat, but the attack found a counterexample`);
      for (let s = 0; s < 400; s++) {
        const x = region.lower.map((l, i) => l + rng.next() * (region.upper[i] - l));
        assert.is(unsafeDisjunct(region, forward(net, x, 1)), -1, `${what}: unsat, but a sampled point is unsafe`);
      }
    }
  }
}


sharedTest('sanity benchmark: test_sat is sat with a replaying counterexample, test_unsat is unsat', async () => {
  const prop = readVnnlib(path.join(sanity, 'test_prop.vnnlib'));
  const sat = loadOnnxFile(path.join(sanity, 'test_sat.onnx'));
  const unsat = loadOnnxFile(path.join(sanity, 'test_unsat.onnx'));
  const a = await verifyProperty(sat, prop, { timeoutS: 30, engine, log: quiet });
  assert.is(a.answer, 'sat');
  checkAnswer(sat, prop, a, 'test_sat');
  const b = await verifyProperty(unsat, prop, { timeoutS: 30, engine, log: quiet });
  assert.is(b.answer, 'unsat');
  assert.ok(b.decidedBy && b.decidedBy !== 'attack');
  checkAnswer(unsat, prop, b, 'test_unsat');
});

sharedTest('sanity benchmark: the other instances (nano, tiny, small) agree with sampling', async () => {
  for (const name of ['test_nano', 'test_tiny', 'test_small']) {
    const net = loadOnnxFile(path.join(sanity, `${name}.onnx`));
    const prop = readVnnlib(path.join(sanity, `${name}.vnnlib`));
    const out = await verifyProperty(net, prop, { timeoutS: 20, engine, log: quiet });
    assert.ok(out.answer === 'sat' || out.answer === 'unsat', `${name}: ${out.answer}`);
    checkAnswer(net, prop, out, name);
  }
});

function randomNet(sizes: number[]): Network {
  const layers: Network['layers'] = [];
  const push = (op: Op, shape: number[]) => layers.push({ name: `l${layers.length}`, op, inputs: [layers.length ? layers.length - 1 : INPUT], shape });
  for (let k = 0; k + 1 < sizes.length; k++) {
    const [i, o] = [sizes[k], sizes[k + 1]];
    push({ kind: 'dense', inFeatures: i, outFeatures: o, weight: Float64Array.from({ length: i * o }, () => rng.gaussian() / Math.sqrt(i)), bias: Float64Array.from({ length: o }, () => rng.gaussian() * 0.2) }, [o]);
    if (k + 2 < sizes.length) push({ kind: 'relu' }, [o]);
  }
  return { name: 'random', inputShape: [sizes[0]], layers, warnings: [] };
}

/** A robustness property around x: the unsafe set is "some other class reaches the label's logit". */
test('random nets and radii: every answer is decided, sat replays, unsat survives attack and sampling', async () => {
  const answers: Record<string, number> = {};
  for (let trial = 0; trial < 16; trial++) {
    const net = randomNet([4, 12, 12, 3]);
    const x = Float64Array.from({ length: 4 }, () => rng.next());
    const prop = robustnessProperty(net, x, [0.02, 0.1, 0.3, 0.6][trial % 4]);
    const out = await verifyProperty(net, prop, { timeoutS: 20, engine, log: quiet, seed: trial });
    answers[out.answer] = (answers[out.answer] ?? 0) + 1;
    checkAnswer(net, prop, out, `trial ${trial}`);
    assert.ok(out.stages.length >= 1);
  }
  assert.ok((answers.sat ?? 0) > 0 && (answers.unsat ?? 0) > 0, JSON.stringify(answers));
  assert.is((answers.timeout ?? 0) + (answers.unknown ?? 0), 0, JSON.stringify(answers));
});

test('with the attack skipped, sat comes from the MILP and still replays', async () => {
  let milpSat = 0;
  for (let trial = 0; trial < 10 && milpSat < 2; trial++) {
    const net = randomNet([3, 10, 3]);
    const x = Float64Array.from({ length: 3 }, () => rng.next());
    const prop = robustnessProperty(net, x, 0.5);
    const out = await verifyProperty(net, prop, { timeoutS: 20, engine, log: quiet, skip: ['attack', 'bab'] });
    checkAnswer(net, prop, out, `trial ${trial}`);
    if (out.answer === 'sat') { assert.is(out.decidedBy, 'milp'); milpSat++; }
  }
  assert.ok(milpSat >= 1);
});

test('bab decides in the cascade (attack and MILP skipped): sat replays, unsat survives attack and sampling', async () => {
  const by: Record<string, number> = {};
  for (let trial = 0; trial < 16; trial++) {
    const net = randomNet([4, 12, 12, 3]);
    const x = Float64Array.from({ length: 4 }, () => rng.next());
    const prop = robustnessProperty(net, x, [0.1, 0.3, 0.6][trial % 3]);
    const out = await verifyProperty(net, prop, { timeoutS: 20, engine, log: quiet, seed: trial, skip: ['attack', 'milp'] });
    checkAnswer(net, prop, out, `trial ${trial}`);
    if (out.decidedBy === 'bab') by[out.answer] = (by[out.answer] ?? 0) + 1;
  }
  assert.ok((by.sat ?? 0) >= 1 && (by.unsat ?? 0) >= 1, JSON.stringify(by));
});

test('a property with mismatched dimensions is a clear user error', async () => {
  const net = randomNet([4, 5, 3]);
  const prop = robustnessProperty(randomNet([2, 5, 3]), new Float64Array([0.5, 0.5]), 0.1);
  try {
    await verifyProperty(net, prop, { timeoutS: 5, engine, log: quiet });
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /declares 2 inputs X_i, random takes 4/);
  }
});

test.run();
