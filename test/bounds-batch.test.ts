// Batching and chunking are pure scheduling: one call over many boxes must give bit-identical
// results to one box at a time, whatever the chunk and block sizes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { boundNetworkCpu, crownLayerBounds, ibpLayerBounds, CpuEngine } from '../src/bounds/index.js';
import type { Boxes } from '../src/bounds/index.js';
import { marginSpec } from '../src/spec/margins.js';
import { outputSize } from '../src/network.js';
import { RANDOM_NET_KINDS, randInt, randomBoxes, randomNetwork, seededRng } from './helpers/random-network.js';

function oneBox(boxes: Boxes, b: number): Boxes {
  const n = boxes.lower.length / boxes.count;
  return { lower: boxes.lower.slice(b * n, (b + 1) * n), upper: boxes.upper.slice(b * n, (b + 1) * n), count: 1 };
}

function sameArray(a: Float64Array, b: Float64Array, what: string): void {
  assert.is(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) assert.unreachable(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

function cases(seeds: number): { net: Network; boxes: Boxes; labels: number[]; seed: number }[] {
  const out = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const rng = seededRng(1000 + seed);
    const net = randomNetwork(rng, { kind: RANDOM_NET_KINDS[seed % RANDOM_NET_KINDS.length] });
    const count = randInt(rng, 3, 7);
    const { boxes } = randomBoxes(rng, net, count, { maxRadius: 0.5 });
    const labels = Array.from({ length: count }, () => randInt(rng, 0, outputSize(net) - 1));
    out.push({ net, boxes, labels, seed });
  }
  return out;
}

test('bounds of C·y over many boxes equal those of one box at a time (IBP and CROWN)', () => {
  for (const { net, boxes, labels, seed } of cases(20)) {
    for (const method of ['ibp', 'crown'] as const) {
      const all = boundNetworkCpu(net, boxes, { method, spec: marginSpec(net, labels) });
      for (let b = 0; b < boxes.count; b++) {
        const one = boundNetworkCpu(net, oneBox(boxes, b), { method, spec: marginSpec(net, [labels[b]]) });
        const r = all.rows;
        sameArray(all.lower.slice(b * r, (b + 1) * r), one.lower, `seed ${seed} ${method} box ${b} lower`);
        sameArray(all.upper.slice(b * r, (b + 1) * r), one.upper, `seed ${seed} ${method} box ${b} upper`);
      }
    }
  }
});

test('layer bounds over many boxes equal those of one box at a time', () => {
  for (const { net, boxes, seed } of cases(12)) {
    for (const [name, fn] of [['ibp', ibpLayerBounds], ['crown', crownLayerBounds]] as const) {
      const all = fn(net, boxes);
      for (let b = 0; b < boxes.count; b++) {
        const one = fn(net, oneBox(boxes, b));
        one.forEach((lb, i) => {
          const n = lb.lower.length;
          sameArray(all[i].lower.slice(b * n, (b + 1) * n), lb.lower, `seed ${seed} ${name} layer ${i} box ${b}`);
          sameArray(all[i].upper.slice(b * n, (b + 1) * n), lb.upper, `seed ${seed} ${name} layer ${i} box ${b}`);
        });
      }
    }
  }
});

test('chunk and block sizes (and a tiny memory budget) do not change any result', () => {
  for (const { net, boxes, labels, seed } of cases(12)) {
    const spec = marginSpec(net, labels);
    const ref = boundNetworkCpu(net, boxes, { method: 'crown', spec });
    const refLayers = crownLayerBounds(net, boxes);
    for (const o of [{ chunkBoxes: 1 }, { chunkBoxes: 2, blockRows: 2 }, { blockRows: 6 }, { memoryBudgetBytes: 4096 }]) {
      const got = boundNetworkCpu(net, boxes, { method: 'crown', spec, ...o });
      sameArray(got.lower, ref.lower, `seed ${seed} ${JSON.stringify(o)} lower`);
      sameArray(got.upper, ref.upper, `seed ${seed} ${JSON.stringify(o)} upper`);
      crownLayerBounds(net, boxes, o).forEach((lb, i) => {
        sameArray(lb.lower, refLayers[i].lower, `seed ${seed} ${JSON.stringify(o)} layer ${i}`);
        sameArray(lb.upper, refLayers[i].upper, `seed ${seed} ${JSON.stringify(o)} layer ${i}`);
      });
    }
  }
});

test('no spec bounds y itself; a shared spec equals the same per-box spec; CpuEngine gives the same numbers', async () => {
  const rng = seededRng(5);
  const net = randomNetwork(rng, { kind: 'dense' });
  const { boxes } = randomBoxes(rng, net, 4);
  const m = outputSize(net);
  const y = boundNetworkCpu(net, boxes, { method: 'crown' });
  assert.is(y.rows, m);
  const layers = crownLayerBounds(net, boxes);
  // the layer bounds of the output are CROWN ∩ interval: never looser than CROWN alone
  const out = layers[layers.length - 1];
  for (let k = 0; k < y.lower.length; k++) {
    assert.ok(out.lower[k] >= y.lower[k] && out.upper[k] <= y.upper[k], `output ${k}: layer bounds looser than CROWN`);
  }
  const shared = marginSpec(net, [1]);
  const perBox = marginSpec(net, [1, 1, 1, 1]);
  const a = boundNetworkCpu(net, boxes, { method: 'crown', spec: { ...shared, shared: true } });
  const b = boundNetworkCpu(net, boxes, { method: 'crown', spec: perBox });
  sameArray(a.lower, b.lower, 'shared vs per-box');
  const engine = new CpuEngine();
  assert.match(engine.describe(), /cpu/);
  const e = await engine.bound(net, boxes, { method: 'crown', spec: perBox });
  sameArray(e.lower, b.lower, 'engine');
  await engine.dispose();
});

test('bad boxes and specs are user errors naming the mismatch', () => {
  const rng = seededRng(9);
  const net = randomNetwork(rng, { kind: 'dense' });
  const { boxes } = randomBoxes(rng, net, 2);
  assert.throws(() => boundNetworkCpu(net, { ...boxes, count: 3 }, { method: 'ibp' }), (e: Error) => e.name === 'UserError' && /3 boxes/.test(e.message));
  const flipped = { lower: boxes.upper, upper: boxes.lower, count: 2 };
  assert.throws(() => ibpLayerBounds(net, flipped), (e: Error) => e.name === 'UserError' && /lower .* > upper/.test(e.message));
  assert.throws(() => boundNetworkCpu(net, boxes, { method: 'crown', spec: { c: new Float64Array(3), rows: 1, shared: true } }), (e: Error) => e.name === 'UserError' && /spec/.test(e.message));
});

test.run();
