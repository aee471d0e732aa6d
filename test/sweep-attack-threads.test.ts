// The sweep's attack split over worker threads (sweep/attack-threads.ts) finds the same
// counterexamples, bit for bit, as on one thread, for any split and with seedIds (a block of a
// larger sweep), and falsifyByAttack gives the same answers on 1 and 3 threads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadTarget } from '../src/sweep/setup.js';
import { attackPairs } from '../src/sweep/attack.js';
import { attackPairsThreaded } from '../src/sweep/attack-threads.js';
import { falsifyByAttack } from '../src/sweep/falsify.js';

const { net, data } = await loadTarget({ net: 'mnist-mlp', samples: 48 });

function same(a: (Float64Array | null)[], b: (Float64Array | null)[], what: string): number {
  assert.is(a.length, b.length, what);
  let found = 0;
  a.forEach((x, i) => {
    assert.is(x === null, b[i] === null, `${what}: pair ${i} same outcome`);
    if (!x) return;
    found++;
    assert.equal(Array.from(x), Array.from(b[i]!), `${what}: pair ${i} same point`);
  });
  return found;
}

test('attackPairsThreaded equals attackPairs for 2 and 3 threads, inputs repeated and out of order', async () => {
  const pairs = Array.from({ length: 60 }, (_, k) => ({ input: (k * 7) % 48, eps: k % 2 ? 0.08 : 0.04 }));
  const one = attackPairs(net, data.inputs, data.labels, pairs, { seed: 3 });
  for (const threads of [2, 3]) {
    const many = await attackPairsThreaded(net, data.inputs, data.labels, pairs, { seed: 3 }, threads);
    const found = same(one, many, `${threads} threads`);
    assert.ok(found > 5, `counterexamples found (${found})`);
  }
  // seedIds: a block's inputs draw the whole sweep's start points
  const seedIds = Array.from({ length: 48 }, (_, i) => 1000 + 3 * i);
  same(attackPairs(net, data.inputs, data.labels, pairs, { seedIds }), await attackPairsThreaded(net, data.inputs, data.labels, pairs, { seedIds }, 3), 'seedIds');
});

test('falsifyByAttack: the same first falsified eps and points on 1 and 3 threads', async () => {
  const eps = [0.01, 0.02, 0.04, 0.06, 0.08, 0.1];
  const candidates = Array.from({ length: 48 }, (_, i) => i);
  const problem = { net, inputs: data.inputs, labels: data.labels, count: 48, eps, candidates };
  const a = await falsifyByAttack(problem, { threads: 1 });
  const b = await falsifyByAttack(problem, { threads: 3, batch: 50 });
  assert.equal(Array.from(a.hi), Array.from(b.hi));
  same(a.cex, b.cex, 'falsify');
  assert.ok(Array.from(a.hi).some((h) => h < eps.length), 'something is falsified');
});

test.run();
