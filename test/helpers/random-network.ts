// Random small networks, boxes and points for property tests (bound engines, GPU kernels, MILP).
// Everything is driven by a seeded RNG so a failing seed can be replayed:
//   const rng = seededRng(7); const net = randomNetwork(rng, { kind: 'conv' });
//   const { boxes } = randomBoxes(rng, net, 4); const x = pointsInBox(rng, boxes, 0, 16);
import type { Layer, Network, Op, Shape } from '../../src/network.js';
import { appendLayer, size, validateNetwork } from '../../src/network.js';
import type { Boxes } from '../../src/bounds/types.js';

export type Rng = () => number;

/** mulberry32: a small, fast, seedable uniform [0, 1) generator. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(rng: Rng): number {
  const u = 1 - rng(), v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Integer in [lo, hi]. */
export function randInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)];
}

function randn(rng: Rng, n: number, scale: number): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = gaussian(rng) * scale;
  return a;
}

export type RandomNetKind = 'dense' | 'sigmoid' | 'conv' | 'residual' | 'mixed';
export const RANDOM_NET_KINDS: readonly RandomNetKind[] = ['dense', 'sigmoid', 'conv', 'residual', 'mixed'];

export interface RandomNetOptions {
  /** 'dense': dense/ReLU MLP; 'sigmoid': dense/sigmoid MLP; 'conv': affine, pad, conv, maxpool
   *  (overlapping and padded windows too), avgpool, permute, flatten, dense; 'residual': dense
   *  blocks with skip adds; 'mixed': any of these (default). */
  kind?: RandomNetKind;
  /** Hidden dense layers (default 1–3). */
  depth?: number;
  /** Hidden width (default 3–8). */
  width?: number;
  /** Outputs (default 2–4). */
  outputs?: number;
  /** Multiplies the He-style weight scale (default 1). */
  weightScale?: number;
}

function dense(rng: Rng, inF: number, outF: number, gain: number): Op {
  return { kind: 'dense', inFeatures: inF, outFeatures: outF, weight: randn(rng, inF * outF, gain * Math.sqrt(2 / inF)), bias: randn(rng, outF, 0.3 * gain) };
}

function last(net: Network): Shape {
  return net.layers.length ? net.layers[net.layers.length - 1].shape : net.inputShape;
}

function mlp(rng: Rng, net: Network, act: 'relu' | 'sigmoid', depth: number, width: number, gain: number): void {
  for (let d = 0; d < depth; d++) {
    const w = width > 0 ? width : randInt(rng, 3, 8);
    appendLayer(net, dense(rng, size(last(net)), w, gain));
    appendLayer(net, { kind: act });
  }
}

function convPart(rng: Rng, net: Network, gain: number): void {
  const [c, h] = net.inputShape;
  appendLayer(net, { kind: 'affine', scale: Float64Array.from({ length: size(net.inputShape) }, () => 0.5 + rng() * 1.5 * (rng() < 0.2 ? -1 : 1)), shift: randn(rng, size(net.inputShape), 0.3) });
  if (rng() < 0.5) appendLayer(net, { kind: 'pad', pads: [randInt(rng, 0, 1), randInt(rng, 0, 1), randInt(rng, 0, 1), randInt(rng, 0, 1)] });
  const k = randInt(rng, 2, Math.min(3, h));
  const oc = randInt(rng, 1, 3);
  const s = randInt(rng, 1, 2);
  const p = randInt(rng, 0, 1);
  appendLayer(net, { kind: 'conv2d', inChannels: c, outChannels: oc, kernel: [k, k], stride: [s, s], pads: [p, p, p, p], weight: randn(rng, oc * c * k * k, gain * Math.sqrt(2 / (c * k * k))), bias: randn(rng, oc, 0.3 * gain) });
  appendLayer(net, { kind: 'relu' });
  // pooling: kernel 2–3, stride 1–2 (overlapping when stride < kernel), pads below the kernel
  const [, ph, pw] = last(net);
  const pk = randInt(rng, 1, Math.min(3, ph, pw));
  const pool = { kernel: [pk, Math.min(pw, randInt(rng, 1, 3))] as [number, number], stride: [randInt(rng, 1, 2), randInt(rng, 1, 2)] as [number, number], pads: [0, 0, 0, 0] as [number, number, number, number] };
  if (pk > 1 && rng() < 0.5) pool.pads = [randInt(rng, 0, pk - 1), 0, randInt(rng, 0, pk - 1), 0];
  if (rng() < 0.7) appendLayer(net, { kind: 'maxpool2d', ...pool });
  else appendLayer(net, { kind: 'avgpool2d', ...pool, countIncludePad: rng() < 0.5 });
  if (rng() < 0.5) appendLayer(net, { kind: 'sigmoid' });
  // NHWC-style flatten: permute CHW → HWC, then reshape to a vector
  const [pc, qh, qw] = last(net);
  const perm = new Int32Array(pc * qh * qw);
  let i = 0;
  for (let y = 0; y < qh; y++) for (let x = 0; x < qw; x++) for (let ch = 0; ch < pc; ch++) perm[i++] = (ch * qh + y) * qw + x;
  appendLayer(net, { kind: 'permute', perm }, 'transpose', [qh, qw, pc]);
  appendLayer(net, { kind: 'reshape' }, 'flatten', [pc * qh * qw]);
}

function residualPart(rng: Rng, net: Network, depth: number, width: number, gain: number): void {
  const w = width > 0 ? width : randInt(rng, 3, 8);
  appendLayer(net, dense(rng, size(last(net)), w, gain));
  appendLayer(net, { kind: 'relu' });
  for (let d = 0; d < depth; d++) {
    const skip = net.layers.length - 1;
    appendLayer(net, dense(rng, w, w, gain * 0.7));
    appendLayer(net, { kind: 'relu' });
    appendLayer(net, dense(rng, w, w, gain * 0.7));
    const add: Layer = { name: `add_${net.layers.length}`, op: { kind: 'add' }, inputs: [net.layers.length - 1, skip], shape: [w] };
    net.layers.push(add);
    appendLayer(net, { kind: 'relu' });
  }
}

/** A random valid network with small shapes (validated before it is returned). */
export function randomNetwork(rng: Rng, opts: RandomNetOptions = {}): Network {
  const kind = opts.kind === undefined || opts.kind === 'mixed' ? pick(rng, ['dense', 'sigmoid', 'conv', 'residual'] as const) : opts.kind;
  const depth = opts.depth ?? randInt(rng, 1, 3);
  const width = opts.width ?? 0;
  const outputs = opts.outputs ?? randInt(rng, 2, 4);
  const gain = opts.weightScale ?? 1;
  const inputShape: Shape = kind === 'conv' ? [randInt(rng, 1, 2), randInt(rng, 4, 7), randInt(rng, 4, 7)] : [randInt(rng, 2, 6)];
  const net: Network = { name: `random-${kind}`, inputShape, layers: [], warnings: [] };
  if (kind === 'conv') {
    convPart(rng, net, gain);
    mlp(rng, net, 'relu', Math.max(0, depth - 1), width, gain);
  } else if (kind === 'residual') residualPart(rng, net, depth, width, gain);
  else mlp(rng, net, kind === 'sigmoid' ? 'sigmoid' : 'relu', depth, width, gain);
  appendLayer(net, dense(rng, size(last(net)), outputs, gain), 'logits');
  validateNetwork(net);
  return net;
}

export interface RandomBoxesOptions {
  /** Largest radius per input (default 0.3); radii are uniform in [0, maxRadius]. */
  maxRadius?: number;
  /** Clip boxes to [0, 1] as the verifier does for images (default false: centres in [−1, 1]). */
  clip01?: boolean;
}

/** `count` random boxes; centres[b] is box b's centre before clipping. */
export function randomBoxes(rng: Rng, net: Network, count: number, opts: RandomBoxesOptions = {}): { boxes: Boxes; centres: Float64Array } {
  const n = size(net.inputShape);
  const maxR = opts.maxRadius ?? 0.3;
  const centres = new Float64Array(count * n);
  const lower = new Float64Array(count * n);
  const upper = new Float64Array(count * n);
  for (let b = 0; b < count; b++) {
    const r = rng() * maxR;
    for (let i = 0; i < n; i++) {
      const k = b * n + i;
      centres[k] = opts.clip01 ? rng() : 2 * rng() - 1;
      lower[k] = centres[k] - r;
      upper[k] = centres[k] + r;
      if (opts.clip01) {
        lower[k] = Math.max(0, lower[k]);
        upper[k] = Math.min(1, upper[k]);
      }
    }
  }
  return { boxes: { lower, upper, count }, centres };
}

/**
 * `k` points of box b (k × inputSize): the first are corners (every coordinate at a bound),
 * the rest uniform inside.
 */
export function pointsInBox(rng: Rng, boxes: Boxes, b: number, k: number, corners = Math.floor(k / 2)): Float64Array {
  const n = boxes.lower.length / boxes.count;
  const pts = new Float64Array(k * n);
  for (let p = 0; p < k; p++) {
    for (let i = 0; i < n; i++) {
      const lo = boxes.lower[b * n + i], hi = boxes.upper[b * n + i];
      pts[p * n + i] = p < corners ? (rng() < 0.5 ? lo : hi) : lo + rng() * (hi - lo);
    }
  }
  return pts;
}
