// Test helpers for the GPU engine tests: seeded random networks and boxes, a tiny float64
// forward pass for chains of the ops these tests build, and the comparison with the CPU engine.
import * as assert from 'uvu/assert';
import type { Network, Op, Shape } from '../src/network.js';
import { appendLayer, size } from '../src/network.js';
import type { BoundResult, Boxes } from '../src/bounds/types.js';

// the project's one seeded generator (mulberry32), under the name these tests use
import { seededRng as rng } from './helpers/random-network.js';
export { rng };

export function randArray(r: () => number, n: number, scale: number): Float64Array {
  return Float64Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

export function dense(r: () => number, inF: number, outF: number): Op {
  return { kind: 'dense', inFeatures: inF, outFeatures: outF, weight: randArray(r, inF * outF, 1 / Math.sqrt(inF) * 1.7), bias: randArray(r, outF, 0.3) };
}

/** A random dense ReLU chain with the given widths. */
export function randomMlp(seed: number, widths: number[]): Network {
  const r = rng(seed);
  const net: Network = { name: `mlp${widths.join('-')}`, inputShape: [widths[0]], layers: [], warnings: [] };
  for (let i = 1; i < widths.length; i++) {
    appendLayer(net, dense(r, widths[i - 1], widths[i]));
    if (i < widths.length - 1) appendLayer(net, { kind: 'relu' });
  }
  return net;
}

/** Boxes [x − eps, x + eps] ∩ [0, 1] around random centres. */
export function randomBoxes(seed: number, n: number, count: number, eps: number): Boxes & { centres: Float64Array } {
  const r = rng(seed);
  const centres = Float64Array.from({ length: n * count }, () => r());
  const lower = centres.map((x) => Math.max(0, x - eps));
  const upper = centres.map((x) => Math.min(1, x + eps));
  return { lower, upper, count, centres };
}

/** Float64 forward pass of a chain (the ops the tests build). */
export function forward(net: Network, x: Float64Array): Float64Array {
  let v = x;
  let shape: Shape = net.inputShape;
  for (const layer of net.layers) {
    const op = layer.op;
    const out = new Float64Array(size(layer.shape));
    switch (op.kind) {
      case 'dense':
        for (let j = 0; j < op.outFeatures; j++) {
          let s = op.bias[j];
          for (let i = 0; i < op.inFeatures; i++) s += op.weight[j * op.inFeatures + i] * v[i];
          out[j] = s;
        }
        break;
      case 'relu': for (let i = 0; i < v.length; i++) out[i] = Math.max(0, v[i]); break;
      case 'sigmoid': for (let i = 0; i < v.length; i++) out[i] = 1 / (1 + Math.exp(-v[i])); break;
      case 'affine': for (let i = 0; i < v.length; i++) out[i] = v[i] * op.scale[i] + op.shift[i]; break;
      case 'reshape': out.set(v); break;
      case 'permute': for (let i = 0; i < out.length; i++) out[i] = v[op.perm[i]]; break;
      case 'conv2d': case 'maxpool2d': case 'avgpool2d': case 'pad': {
        const [c, h, w] = shape; const [oc, oh, ow] = layer.shape;
        const [kh, kw] = op.kind === 'pad' ? [1, 1] : op.kernel;
        const [sh, sw] = op.kind === 'pad' ? [1, 1] : op.stride;
        const [pt, pl] = op.pads;
        for (let o = 0; o < oc; o++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) {
          let acc = op.kind === 'conv2d' ? op.bias[o] : op.kind === 'maxpool2d' ? -Infinity : 0;
          let cnt = 0;
          for (let ic = 0; ic < (op.kind === 'conv2d' ? c : 1); ic++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
            const iy = y * sh + ky - pt, ix = xx * sw + kx - pl;
            if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
            const val = v[((op.kind === 'conv2d' ? ic : o) * h + iy) * w + ix];
            cnt++;
            if (op.kind === 'conv2d') acc += op.weight[((o * c + ic) * kh + ky) * kw + kx] * val;
            else if (op.kind === 'maxpool2d') acc = Math.max(acc, val);
            else acc += val;
          }
          if (op.kind === 'avgpool2d') acc /= op.countIncludePad ? kh * kw : cnt;
          out[(o * oh + y) * ow + xx] = acc;
        }
        break;
      }
      default: throw new Error(`test forward: ${op.kind}`);
    }
    v = out;
    shape = layer.shape;
  }
  return v;
}

/**
 * GPU bounds must contain the CPU float64 ones (lower ≤ CPU lower, upper ≥ CPU upper) and be
 * within `tol` (relative to 1 + |value|) of them.
 */
export function assertEnclosesCpu(gpu: BoundResult, cpu: BoundResult, tol: number, what: string): number {
  assert.is(gpu.rows, cpu.rows, `${what}: rows`);
  assert.is(gpu.lower.length, cpu.lower.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < cpu.lower.length; i++) {
    const gl = gpu.lower[i], cl = cpu.lower[i], gu = gpu.upper[i], cu = cpu.upper[i];
    if (!(gl <= cl)) assert.unreachable(`${what}: GPU lower ${gl} > CPU lower ${cl} at ${i}`);
    if (!(gu >= cu)) assert.unreachable(`${what}: GPU upper ${gu} < CPU upper ${cu} at ${i}`);
    const d = Math.max((cl - gl) / (1 + Math.abs(cl)), (gu - cu) / (1 + Math.abs(cu)));
    worst = Math.max(worst, d);
  }
  assert.ok(worst <= tol, `${what}: GPU bounds are ${worst} (relative) looser than the CPU ones, above ${tol}`);
  return worst;
}
