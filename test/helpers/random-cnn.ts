// A random CNN on a 7–12 pixel input (conv/pad/pool blocks with stride 1 and 2, padding, sigmoid,
// optional residual conv blocks, a dense head), shared by the patch-form tests
// (bounds-patches.test.ts, bounds-alpha-patches.test.ts).
import type { Layer, Network, Op, Shape } from '../../src/network.js';
import { appendLayer, size, validateNetwork } from '../../src/network.js';
import { gaussian, randInt, type Rng } from './random-network.js';

export function randn(rng: Rng, n: number, scale: number): Float64Array {
  return Float64Array.from({ length: n }, () => gaussian(rng) * scale);
}

export function shapeOf(net: Network): Shape {
  return net.layers.length ? net.layers[net.layers.length - 1].shape : net.inputShape;
}

export function conv(rng: Rng, c: number, oc: number, k: number, s: number, p: number): Op {
  return { kind: 'conv2d', inChannels: c, outChannels: oc, kernel: [k, k], stride: [s, s], pads: [p, p, p, p], weight: randn(rng, oc * c * k * k, Math.sqrt(2 / (c * k * k))), bias: randn(rng, oc, 0.3) };
}

/** A random CNN on a 7–12 pixel input: conv/pad/pool blocks, optional residual conv blocks, a dense head. */
export function randomCnn(rng: Rng): Network {
  const inputShape: Shape = [randInt(rng, 1, 2), randInt(rng, 7, 12), randInt(rng, 7, 12)];
  const net: Network = { name: 'random-cnn', inputShape, layers: [], warnings: [] };
  if (rng() < 0.5) appendLayer(net, { kind: 'affine', scale: Float64Array.from({ length: size(inputShape) }, () => 0.5 + rng() * (rng() < 0.2 ? -1 : 1)), shift: randn(rng, size(inputShape), 0.3) });
  const blocks = randInt(rng, 2, 3);
  for (let b = 0; b < blocks; b++) {
    let [c, h, w] = shapeOf(net);
    if (rng() < 0.3) appendLayer(net, { kind: 'pad', pads: [randInt(rng, 0, 1), randInt(rng, 0, 1), randInt(rng, 0, 1), randInt(rng, 0, 1)] });
    [c, h, w] = shapeOf(net);
    const k = randInt(rng, 1, Math.min(3, h, w)), s = h >= 6 && w >= 6 && rng() < 0.4 ? 2 : 1;
    appendLayer(net, conv(rng, c, randInt(rng, 1, 3), k, s, randInt(rng, 0, Math.min(1, k - 1))));
    appendLayer(net, { kind: rng() < 0.15 ? 'sigmoid' : 'relu' });
    if (rng() < 0.4) {
      // residual: conv 3×3 (pad 1) → ReLU → conv 3×3 (pad 1), added to the block's input
      const skip = net.layers.length - 1;
      const [rc] = shapeOf(net);
      appendLayer(net, conv(rng, rc, rc, 3, 1, 1));
      appendLayer(net, { kind: 'relu' });
      appendLayer(net, conv(rng, rc, rc, 3, 1, 1));
      const add: Layer = { name: `add_${net.layers.length}`, op: { kind: 'add' }, inputs: [net.layers.length - 1, skip], shape: shapeOf(net) };
      net.layers.push(add);
      appendLayer(net, { kind: 'relu' });
    }
    [c, h, w] = shapeOf(net);
    if (h >= 3 && w >= 3 && rng() < 0.7) {
      const pk = randInt(rng, 2, 3), ps = randInt(rng, 1, 2);
      const pads: [number, number, number, number] = rng() < 0.3 ? [1, 1, 1, 1] : [0, 0, 0, 0];
      if (rng() < 0.6) appendLayer(net, { kind: 'maxpool2d', kernel: [pk, pk], stride: [ps, ps], pads });
      else appendLayer(net, { kind: 'avgpool2d', kernel: [pk, pk], stride: [ps, ps], pads, countIncludePad: rng() < 0.5 });
    }
  }
  appendLayer(net, { kind: 'reshape' }, 'flatten', [size(shapeOf(net))]);
  if (rng() < 0.5) {
    appendLayer(net, { kind: 'dense', inFeatures: size(shapeOf(net)), outFeatures: 6, weight: randn(rng, 6 * size(shapeOf(net)), Math.sqrt(2 / size(shapeOf(net)))), bias: randn(rng, 6, 0.3) });
    appendLayer(net, { kind: 'relu' });
  }
  const n = size(shapeOf(net)), m = randInt(rng, 2, 4);
  appendLayer(net, { kind: 'dense', inFeatures: n, outFeatures: m, weight: randn(rng, m * n, Math.sqrt(2 / n)), bias: randn(rng, m, 0.3) }, 'logits');
  validateNetwork(net);
  return net;
}

