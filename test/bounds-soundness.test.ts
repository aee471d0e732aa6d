// Soundness of the CPU bounds on random networks (dense, sigmoid, conv with pad/affine/maxpool/
// avgpool/permute, residual): every sampled point of a box (corners included) has every layer's
// value inside that layer's IBP and CROWN bounds and its margins inside the margin bounds; CROWN
// layer bounds are never looser than IBP's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { outputSize } from '../src/network.js';
import { boundNetworkCpu, crownLayerBounds, ibpLayerBounds } from '../src/bounds/index.js';
import type { Boxes, LayerBounds } from '../src/bounds/index.js';
import { forwardLayers } from '../src/forward.js';
import { marginSpec, marginsOf } from '../src/spec/margins.js';
import { RANDOM_NET_KINDS, randInt, randomBoxes, randomNetwork, pointsInBox, seededRng, type RandomNetKind } from './helpers/random-network.js';
import { assertInside } from './helpers/bounds-check.js';

const POINTS = 24; // per box, half of them corners

function checkNet(net: Network, boxes: Boxes, labels: number[], rngSeed: number, tag: string): void {
  const rng = seededRng(rngSeed);
  const ibp = ibpLayerBounds(net, boxes);
  const crown = crownLayerBounds(net, boxes);
  const spec = marginSpec(net, labels);
  const mIbp = boundNetworkCpu(net, boxes, { method: 'ibp', spec });
  const mCrown = boundNetworkCpu(net, boxes, { method: 'crown', spec });
  const rows = mIbp.rows;
  const n = boxes.lower.length / boxes.count;
  for (let b = 0; b < boxes.count; b++) {
    const pts = pointsInBox(rng, boxes, b, POINTS);
    const vals = forwardLayers(net, pts, POINTS);
    vals.forEach((v, i) => {
      const size = v.length / POINTS;
      for (const [name, lb] of [['ibp', ibp[i]], ['crown', crown[i]]] as [string, LayerBounds][]) {
        for (let p = 0; p < POINTS; p++) {
          for (let j = 0; j < size; j++) {
            assertInside(v[p * size + j], lb.lower[b * size + j], lb.upper[b * size + j], `${tag} ${name} box ${b} point ${p} layer ${i} (${net.layers[i].op.kind}) neuron ${j}`);
          }
        }
      }
    });
    const out = vals[vals.length - 1];
    const m = outputSize(net);
    for (let p = 0; p < POINTS; p++) {
      const margins = marginsOf(out.subarray(p * m, (p + 1) * m), labels[b]);
      margins.forEach((v, k) => {
        assertInside(v, mIbp.lower[b * rows + k], mIbp.upper[b * rows + k], `${tag} ibp margin box ${b} point ${p} row ${k}`);
        assertInside(v, mCrown.lower[b * rows + k], mCrown.upper[b * rows + k], `${tag} crown margin box ${b} point ${p} row ${k}`);
      });
    }
    void n;
  }
  // CROWN ∩ IBP at every pre-activation, interval images of tighter bounds after: never looser.
  crown.forEach((c, i) => {
    for (let k = 0; k < c.lower.length; k++) {
      assert.ok(c.lower[k] >= ibp[i].lower[k] - 1e-9 * (1 + Math.abs(ibp[i].lower[k])), `${tag} layer ${i} [${k}] crown lower ${c.lower[k]} < ibp ${ibp[i].lower[k]}`);
      assert.ok(c.upper[k] <= ibp[i].upper[k] + 1e-9 * (1 + Math.abs(ibp[i].upper[k])), `${tag} layer ${i} [${k}] crown upper ${c.upper[k]} > ibp ${ibp[i].upper[k]}`);
    }
  });
}

function run(kind: RandomNetKind, seeds: number, clip01: boolean): void {
  for (let seed = 1; seed <= seeds; seed++) {
    const rng = seededRng(seed * 7919 + kind.length);
    const net = randomNetwork(rng, { kind });
    const count = randInt(rng, 2, 4);
    const { boxes } = randomBoxes(rng, net, count, { maxRadius: rng() < 0.5 ? 0.05 : 0.6, clip01 });
    const labels = Array.from({ length: count }, () => randInt(rng, 0, outputSize(net) - 1));
    checkNet(net, boxes, labels, seed, `${kind} seed ${seed}`);
  }
}

for (const kind of RANDOM_NET_KINDS) {
  test(`${kind} networks: sampled points stay inside IBP and CROWN bounds`, () => run(kind, 30, false));
}
test('conv networks on [0,1]-clipped boxes', () => run('conv', 30, true));

test('deeper and wider nets with tiny boxes (all neurons stable): CROWN margins at least as tight as IBP', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rng = seededRng(seed + 500);
    const net = randomNetwork(rng, { kind: seed % 2 ? 'dense' : 'conv', depth: 3, width: 12 });
    const { boxes } = randomBoxes(rng, net, 3, { maxRadius: 1e-6 });
    const labels = [0, 1, 0];
    checkNet(net, boxes, labels, seed, `tiny seed ${seed}`);
    const spec = marginSpec(net, labels);
    const i = boundNetworkCpu(net, boxes, { method: 'ibp', spec });
    const c = boundNetworkCpu(net, boxes, { method: 'crown', spec });
    for (let k = 0; k < c.lower.length; k++) assert.ok(c.lower[k] >= i.lower[k] - 1e-9, `seed ${seed} row ${k}: crown ${c.lower[k]} < ibp ${i.lower[k]}`);
  }
});

test.run();
