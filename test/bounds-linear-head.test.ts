// The linear layers on top of a network (average pooling, reshapes, dense layers) take the same
// backward step on every pass, so branch and bound takes them once (src/bounds/backward.ts
// linearHead). A pass from where the head stops, with its coefficients and intercepts, must give
// the bounds, α gradients and minimising corners of a whole pass bit for bit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendLayer, outputSize, size, type Network } from '../src/network.js';
import { planOf } from '../src/bounds/plan.js';
import { crownChunk } from '../src/bounds/crown.js';
import { backwardPass, linearHead, type PassParams } from '../src/bounds/backward.js';
import type { LayerParams } from '../src/bounds/relax/types.js';
import { gaussian, randInt, randomBoxes, seededRng, type Rng } from './helpers/random-network.js';

const randn = (rng: Rng, n: number, s: number) => Float64Array.from({ length: n }, () => s * gaussian(rng));

/** conv, ReLU, then a head of average pooling, a reshape and one or two dense layers (verivital's shape). */
function headNet(rng: Rng): Network {
  const net: Network = { name: 'head', inputShape: [1, 6, 6], layers: [], warnings: [] };
  const oc = randInt(rng, 2, 4), k = randInt(rng, 2, 3);
  appendLayer(net, { kind: 'conv2d', inChannels: 1, outChannels: oc, kernel: [k, k], stride: [1, 1], pads: [0, 0, 0, 0], weight: randn(rng, oc * k * k, 0.8), bias: randn(rng, oc, 0.3) });
  appendLayer(net, { kind: 'relu' });
  appendLayer(net, { kind: 'avgpool2d', kernel: [2, 2], stride: [2, 2], pads: [0, 0, 0, 0], countIncludePad: false });
  appendLayer(net, { kind: 'reshape' }, 'flatten', [size(net.layers[2].shape)]);
  const n = size(net.layers[3].shape), w = randInt(rng, 3, 6);
  appendLayer(net, { kind: 'dense', inFeatures: n, outFeatures: w, weight: randn(rng, n * w, 0.7), bias: randn(rng, w, 0.3) });
  if (rng() < 0.5) appendLayer(net, { kind: 'dense', inFeatures: w, outFeatures: 3, weight: randn(rng, w * 3, 0.7), bias: randn(rng, 3, 0.3) });
  return net;
}

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  assert.is(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} against ${b[i]}`);
};

test('a pass from the linear head\'s end equals a whole pass (bounds, α gradients, corners: same bits)', () => {
  let freeSeen = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const rng = seededRng(8800 + seed);
    const net = headNet(rng);
    const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.2 + 0.5 * rng() });
    const plan = planOf(net);
    const { state } = crownChunk(plan, { lower: boxes.lower, upper: boxes.upper }, 1, 64, false);
    const last = plan.layers.length - 1, m = outputSize(net), R = 3;
    const A0 = Float64Array.from({ length: R * m }, () => gaussian(rng));
    // α in [0, 1] on the ReLU's free neurons, per row
    const layer: (LayerParams | undefined)[] = [];
    const relu = state.relax[1]!;
    const free = relu.free!;
    layer[1] = { alpha: Float64Array.from({ length: R * free.length }, (_, q) => (free[q % free.length] ? rng() : 0)) };
    freeSeen += free.filter((f) => f === 1).length;
    const run = (from: 'top' | 'head') => {
      const rows = { n: R, box: new Int32Array(R), bias: new Float64Array(R) };
      const grad = [undefined, { alpha: new Float64Array(layer[1]!.alpha!.length) }];
      const corner = new Float64Array(R * size(net.inputShape));
      const params: PassParams = { layer, grad, corner };
      if (from === 'top') return { lb: backwardPass(state, last, A0.slice(), rows, params), grad, corner, start: last };
      const head = linearHead(state, last, A0.slice(), rows);
      return { lb: backwardPass(state, head.layer, head.A, rows, params), grad, corner, start: head.layer };
    };
    const whole = run('top'), cut = run('head');
    assert.is(cut.start, 1, `seed ${seed}: the head ends at the ReLU`);
    sameBits(cut.lb, whole.lb, `seed ${seed} bounds`);
    sameBits(cut.grad[1]!.alpha, whole.grad[1]!.alpha, `seed ${seed} d bound / d α`);
    sameBits(cut.corner, whole.corner, `seed ${seed} corners`);
  }
  assert.ok(freeSeen > 20, `only ${freeSeen} free ReLU neurons: the α gradients were hardly checked`);
});

test('linearHead stops at once on a nonlinear top layer', () => {
  const rng = seededRng(3);
  const net = headNet(rng);
  net.layers.length = 2; // conv, ReLU
  const plan = planOf(net);
  const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.3 });
  const { state } = crownChunk(plan, { lower: boxes.lower, upper: boxes.upper }, 1, 64, false);
  const A0 = new Float64Array(size(net.layers[1].shape)).fill(1);
  const rows = { n: 1, box: new Int32Array(1), bias: new Float64Array(1) };
  const head = linearHead(state, 1, A0, rows);
  assert.is(head.layer, 1);
  assert.is(head.A, A0);
  assert.is(rows.bias[0], 0);
});

test.run();
