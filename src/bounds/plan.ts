// What the drivers need to know about each layer once: its rule, input/output shapes, and
// whether CROWN must tighten its output (it is read by a nonlinear op).
import type { Network, Op, Shape } from '../network.js';
import { INPUT, size } from '../network.js';
import { UserError } from '../errors.js';
import type { Boxes } from './types.js';
import { ruleFor, type OpRule, type RuleCtx } from './ops/index.js';

/** 'unstable': only neurons with l < 0 < u (read by ReLUs only); 'all': every neuron with l < u. */
export type Tighten = 'none' | 'unstable' | 'all';

export interface LayerPlan {
  op: Op;
  rule: OpRule;
  inputs: number[];
  inShapes: Shape[];
  inSizes: number[];
  outShape: Shape;
  outSize: number;
  tighten: Tighten;
}

export interface NetPlan {
  net: Network;
  layers: LayerPlan[];
  inSize: number;
  /** Largest tensor a backward row can span (input or any layer). */
  maxWidth: number;
  /** Sum of all layer sizes plus the input: floats per box per bound array. */
  totalSize: number;
}

const cache = new WeakMap<Network, NetPlan>();

export function planOf(net: Network): NetPlan {
  const hit = cache.get(net);
  if (hit) return hit;
  const shapeOf = (src: number): Shape => (src === INPUT ? net.inputShape : net.layers[src].shape);
  const layers: LayerPlan[] = net.layers.map((layer) => {
    const inShapes = layer.inputs.map(shapeOf);
    return {
      op: layer.op,
      rule: ruleFor(layer.op),
      inputs: layer.inputs,
      inShapes,
      inSizes: inShapes.map(size),
      outShape: layer.shape,
      outSize: size(layer.shape),
      tighten: 'none' as Tighten,
    };
  });
  for (const p of layers) {
    if (!p.rule.nonlinear) continue;
    for (const src of p.inputs) {
      if (src === INPUT) continue;
      const t = layers[src];
      t.tighten = p.rule.onlyUnstable && t.tighten !== 'all' ? 'unstable' : 'all';
    }
  }
  // A linear layer of coordinate-wise functions of the input (reshape, permute, pad, affine of
  // it) is bounded exactly by its interval image: back-substitution cannot tighten it.
  // The same holds one step further: a Dense or Conv2d of such a box is bounded exactly by its
  // centre–radius image (each output's range over a box is W·μ ± |W|·r), and a ReLU of exactly
  // bounded inputs is bounded as tightly as back-substitution through its relaxation could
  // (its upper line passes through (u, u), its lower bound is max(0, l)), so neither is tightened.
  const coordwise: boolean[] = [];
  const exact: boolean[] = [];
  layers.forEach((p, i) => {
    const src = p.inputs.length === 1 ? p.inputs[0] : undefined;
    const fromCoords = src !== undefined && (src === INPUT || coordwise[src]);
    coordwise[i] = fromCoords && ['reshape', 'permute', 'pad', 'affine'].includes(p.op.kind);
    exact[i] = coordwise[i] || (fromCoords && (p.op.kind === 'dense' || p.op.kind === 'conv2d'))
      || (src !== undefined && src !== INPUT && exact[src] && p.op.kind === 'relu');
    if ((fromCoords && !p.rule.nonlinear) || exact[i]) p.tighten = 'none';
  });
  const inSize = size(net.inputShape);
  const maxWidth = Math.max(inSize, ...layers.map((p) => p.outSize));
  const totalSize = layers.reduce((s, p) => s + p.outSize, inSize);
  const plan = { net, layers, inSize, maxWidth, totalSize };
  cache.set(net, plan);
  return plan;
}

export function ctxOf(p: LayerPlan, count: number): RuleCtx {
  return { count, inShapes: p.inShapes, inSizes: p.inSizes, outShape: p.outShape, outSize: p.outSize };
}

/** Checks that a box set fits the network; names the mismatch. */
export function checkBoxes(net: Network, boxes: Boxes): void {
  const n = size(net.inputShape);
  const want = boxes.count * n;
  if (!(Number.isInteger(boxes.count) && boxes.count >= 0)) throw new UserError(`${net.name}: box count ${boxes.count} is not a non-negative integer`);
  if (boxes.lower.length !== want || boxes.upper.length !== want) {
    throw new UserError(`${net.name}: ${boxes.count} boxes of input size ${n} need ${want} values per bound, got lower ${boxes.lower.length}, upper ${boxes.upper.length}`);
  }
  for (let i = 0; i < want; i++) {
    if (!(boxes.lower[i] <= boxes.upper[i])) {
      throw new UserError(`${net.name}: box ${Math.floor(i / n)} input ${i % n} has lower ${boxes.lower[i]} > upper ${boxes.upper[i]} (or NaN)`);
    }
  }
}
