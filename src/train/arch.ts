// Builds a freshly initialised network from an --arch string such as "784-50-50-50-10"
// (dense layers; a leading number is the input size) or "conv8-pool-conv16-pool-10"
// (convN = 3x3 conv with padding 1, convNp0 = no padding, convNk5 = 5x5, pool = 2x2 max
// pooling). Every hidden layer is followed by a ReLU; the last token is the dense output
// layer, and a 1-unit output gets a trailing Sigmoid (binary classifier).
import { UserError } from '../errors.js';
import { appendLayer, size, type Network, type Shape } from '../network.js';
import { makeRng, type Rng } from './rng.js';

export const ARCH_HELP = "dash-separated layers: N (dense), convN[kK][pP][sS] (conv, default 3x3, pad 1, stride 1), pool (2x2 max); e.g. 784-50-50-50-10 or conv8-pool-conv16-pool-10";

type Token =
  | { kind: 'dense'; n: number }
  | { kind: 'conv'; n: number; k: number; p: number; s: number }
  | { kind: 'pool' };

function parseToken(tok: string, arch: string): Token {
  if (/^\d+$/.test(tok)) return { kind: 'dense', n: Number(tok) };
  if (tok === 'pool' || tok === 'maxpool') return { kind: 'pool' };
  const m = /^conv(\d+)(?:k(\d+))?(?:p(\d+))?(?:s(\d+))?$/.exec(tok);
  if (m) return { kind: 'conv', n: Number(m[1]), k: Number(m[2] ?? 3), p: Number(m[3] ?? 1), s: Number(m[4] ?? 1) };
  throw new UserError(`--arch '${arch}': cannot read layer '${tok}' (${ARCH_HELP})`);
}

/** More weights than this in one layer (800 MB as float64) is a typo, not a network to train on the CPU. */
const MAX_LAYER_WEIGHTS = 100_000_000;

function checkWeights(n: number, arch: string, layer: number): void {
  if (n > MAX_LAYER_WEIGHTS) throw new UserError(`--arch '${arch}': layer ${layer} would have ${n} weights; at most ${MAX_LAYER_WEIGHTS} are allowed`);
}

/** He-normal weights (fan-in), zero biases. */
function heInit(n: number, fanIn: number, rng: Rng): Float64Array {
  const w = new Float64Array(n);
  const std = Math.sqrt(2 / fanIn);
  for (let i = 0; i < n; i++) w[i] = rng.gaussian() * std;
  return w;
}

/**
 * A network for inputs of `inputShape` (CHW) and `classes` classes, weights drawn from `seed`.
 * A 1-unit output is accepted for 2 classes (sigmoid head).
 */
export function buildNetwork(arch: string, inputShape: Shape, classes: number, seed: number): Network {
  const trimmed = arch.trim();
  if (trimmed === '') throw new UserError(`--arch is empty (${ARCH_HELP})`);
  const tokens = trimmed.split('-');
  // "784--10" or "784-50-" must not quietly become 784-10 / 784-50: an empty width is a typo
  const blank = tokens.findIndex((t) => t.trim() === '');
  if (blank >= 0) throw new UserError(`--arch '${arch}': layer ${blank + 1} is empty (two dashes in a row, or a dash at an end; ${ARCH_HELP})`);
  let layers = tokens.map((t) => parseToken(t, arch));
  const inSize = size(inputShape);
  if (layers.length > 1 && layers[0].kind === 'dense') {
    const n = (layers[0] as { n: number }).n;
    if (n !== inSize) throw new UserError(`--arch '${arch}' starts with ${n} inputs but the data has ${inSize} values per image (shape [${inputShape}])`);
    layers = layers.slice(1);
  }
  const last = layers[layers.length - 1];
  if (last.kind !== 'dense') throw new UserError(`--arch '${arch}': the last layer must be a dense output layer (a number)`);
  if (last.n !== classes && !(last.n === 1 && classes === 2)) {
    throw new UserError(`--arch '${arch}': the output layer has ${last.n} units but the data has ${classes} classes${classes === 2 ? ' (use 1 for a sigmoid head or 2)' : ''}`);
  }
  const rng = makeRng(seed);
  const net: Network = { name: `train:${arch}`, inputShape: [...inputShape], layers: [], warnings: [] };
  const cur = (): Shape => (net.layers.length ? net.layers[net.layers.length - 1].shape : net.inputShape);
  layers.forEach((t, i) => {
    const isLast = i === layers.length - 1;
    if (t.kind === 'dense') {
      if (t.n < 1) throw new UserError(`--arch '${arch}': dense layer ${i + 1} has ${t.n} units`);
      if (cur().length !== 1) appendLayer(net, { kind: 'reshape' }, 'flatten', [size(cur())]);
      const inF = size(cur());
      checkWeights(t.n * inF, arch, i + 1);
      appendLayer(net, { kind: 'dense', inFeatures: inF, outFeatures: t.n, weight: heInit(t.n * inF, inF, rng), bias: new Float64Array(t.n) }, `dense_${i}`);
      if (!isLast) appendLayer(net, { kind: 'relu' }, `relu_${i}`);
      return;
    }
    const shape = cur();
    if (shape.length !== 3) throw new UserError(`--arch '${arch}': ${t.kind} (layer ${i + 1}) needs an image input, but it follows a dense layer`);
    if (t.kind === 'pool') {
      if (shape[1] < 2 || shape[2] < 2) throw new UserError(`--arch '${arch}': pool (layer ${i + 1}) on a ${shape[1]}x${shape[2]} image`);
      appendLayer(net, { kind: 'maxpool2d', kernel: [2, 2], stride: [2, 2], pads: [0, 0, 0, 0] }, `maxpool_${i}`);
      return;
    }
    if (t.n < 1 || t.k < 1 || t.s < 1 || t.p >= t.k) throw new UserError(`--arch '${arch}': conv layer ${i + 1} has ${t.n} channels, kernel ${t.k}, pad ${t.p}, stride ${t.s}`);
    const inC = shape[0];
    const fanIn = inC * t.k * t.k;
    checkWeights(t.n * fanIn, arch, i + 1);
    appendLayer(net, {
      kind: 'conv2d', inChannels: inC, outChannels: t.n, kernel: [t.k, t.k], stride: [t.s, t.s], pads: [t.p, t.p, t.p, t.p],
      weight: heInit(t.n * fanIn, fanIn, rng), bias: new Float64Array(t.n),
    }, `conv_${i}`);
    appendLayer(net, { kind: 'relu' }, `relu_${i}`);
  });
  if (last.n === 1) appendLayer(net, { kind: 'sigmoid' }, 'sigmoid');
  return net;
}
