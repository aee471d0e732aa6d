// The forward pass: a batch of inputs (batch × inputSize, row-major) through every layer.
// forward / forwardLayers compute in float64 (the reference the bound engines are
// checked against); forward32 rounds every product and sum to float32 (Math.fround), as
// the GPU does, so tests can tell rounding from bugs.
import { INPUT, inputSize, layerInputShape } from './network.js';
import type { Conv2dOp, DenseOp, Layer, Network, Shape } from './network.js';
import { convTaps, windowsOf, type Taps } from './bounds/ops/window.js';
import { matmulRows } from './bounds/linalg.js';

type Arr = Float64Array | Float32Array;
const fr = Math.fround;

function alloc(like: Arr, n: number): Arr {
  return like instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
}

function dense64(op: DenseOp, x: Arr, batch: number): Float64Array {
  const { inFeatures: k, outFeatures: n, bias } = op;
  const y = new Float64Array(batch * n);
  // y = x·Wᵀ summed over k in increasing order (the SIMD GEMM on large batches, same bits)
  matmulRows(x instanceof Float64Array ? x : Float64Array.from(x), batch, k, op.weight, n, y);
  for (let b = 0; b < batch; b++) for (let o = 0; o < n; o++) y[b * n + o] += bias[o];
  return y;
}

/** float32 copies of float64 weights, made once per weight array. */
const f32Cache = new WeakMap<Float64Array, Float32Array>();
function f32(a: Float64Array): Float32Array {
  let c = f32Cache.get(a);
  if (!c) { c = Float32Array.from(a); f32Cache.set(a, c); }
  return c;
}

function dense32(op: DenseOp, x: Arr, batch: number): Float32Array {
  const { inFeatures: k, outFeatures: n } = op;
  const w = f32(op.weight), bias = f32(op.bias);
  const y = new Float32Array(batch * n);
  for (let b = 0; b < batch; b++) {
    const xo = b * k;
    for (let o = 0; o < n; o++) {
      const wo = o * k;
      let s = 0;
      for (let i = 0; i < k; i++) s = fr(s + fr(w[wo + i] * x[xo + i]));
      y[b * n + o] = s + bias[o];
    }
  }
  return y;
}

/** Per tap table (one per conv op and shapes) and channel count: the input offset each patch entry reads, over every channel, or −1. */
const gatherCache = new WeakMap<Taps, { c: number; plane: number; at: Int32Array }>();
function im2colGather(t: Taps, c: number, inPlane: number): Int32Array {
  const hit = gatherCache.get(t);
  if (hit && hit.c === c && hit.plane === inPlane) return hit.at;
  const { off, taps: kk, positions } = t;
  const at = new Int32Array(positions * c * kk);
  for (let p = 0; p < positions; p++) {
    for (let ic = 0; ic < c; ic++) {
      for (let q = 0; q < kk; q++) {
        const i = off[p * kk + q];
        at[(p * c + ic) * kk + q] = i < 0 ? -1 : ic * inPlane + i;
      }
    }
  }
  gatherCache.set(t, { c, plane: inPlane, at });
  return at;
}

/** Most patch values per product (memory of one call): the batch goes in parts of this many. */
const IM2COL_MAX = 1 << 22;

function conv(op: Conv2dOp, x: Arr, batch: number, inShape: Shape, outShape: Shape, single: boolean): Arr {
  const [c, h, wd] = inShape;
  const m = outShape[0];
  // im2col: patch p (an output position) holds the taps inputs under the kernel (0 in
  // padding), laid out like a weight row, so each output is one contiguous dot product; the
  // patches of several inputs go to one product (the same sums: each output's dot product is
  // over its own row, in order)
  const t = convTaps(op, inShape, outShape), plane = t.positions;
  const inSize = c * h * wd, taps = c * t.taps, at = im2colGather(t, c, h * wd);
  const y = alloc(x, batch * m * plane);
  const dense: DenseOp = { kind: 'dense', inFeatures: taps, outFeatures: m, weight: op.weight, bias: op.bias };
  const per = single ? 1 : Math.max(1, Math.min(batch, Math.floor(IM2COL_MAX / (plane * taps))));
  for (let b0 = 0; b0 < batch; b0 += per) {
    const nb = Math.min(per, batch - b0);
    const patches = alloc(x, nb * plane * taps);
    for (let b = 0; b < nb; b++) {
      const xb = (b0 + b) * inSize, po = b * plane * taps;
      for (let k = 0; k < plane * taps; k++) {
        const i = at[k];
        if (i >= 0) patches[po + k] = x[xb + i];
      }
    }
    // patches × weightᵀ gives [position][channel]; outputs are CHW
    const yp = single ? dense32(dense, patches, nb * plane) : dense64(dense, patches, nb * plane);
    for (let b = 0; b < nb; b++) {
      const yo = (b0 + b) * m * plane, ypo = b * plane * m;
      for (let p = 0; p < plane; p++) for (let o = 0; o < m; o++) y[yo + o * plane + p] = yp[ypo + p * m + o];
    }
  }
  return y;
}

/** Max or average over each window; padded positions never win a max and count for an average only with countIncludePad. */
function pool(layer: Layer, x: Arr, batch: number, inShape: Shape, outShape: Shape): Arr {
  const op = layer.op as Extract<Layer['op'], { kind: 'maxpool2d' | 'avgpool2d' }>;
  const { start, idx } = windowsOf(op, inShape, outShape);
  const n = inShape[0] * inShape[1] * inShape[2], m = start.length - 1;
  const isMax = op.kind === 'maxpool2d';
  const full = op.kind === 'avgpool2d' && op.countIncludePad;
  const y = alloc(x, batch * m);
  for (let b = 0; b < batch; b++) {
    const xo = b * n;
    for (let o = 0; o < m; o++) {
      let acc = isMax ? -Infinity : 0;
      for (let t = start[o]; t < start[o + 1]; t++) {
        const v = x[xo + idx[t]];
        if (isMax) { if (v > acc) acc = v; } else acc = x instanceof Float32Array ? fr(acc + v) : acc + v;
      }
      y[b * m + o] = isMax ? acc : acc / (full ? op.kernel[0] * op.kernel[1] : start[o + 1] - start[o]);
    }
  }
  return y;
}

function pad(pads: readonly number[], x: Arr, batch: number, inShape: Shape, outShape: Shape): Arr {
  const [c, h, wd] = inShape;
  const [, oh, ow] = outShape;
  const [pt, pl] = pads;
  const y = alloc(x, batch * c * oh * ow);
  for (let b = 0; b < batch; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let r = 0; r < h; r++) {
        const src = ((b * c + ch) * h + r) * wd;
        y.set(x.subarray(src, src + wd), ((b * c + ch) * oh + r + pt) * ow + pl);
      }
    }
  }
  return y;
}

/** One layer on a batch: `ins` are the outputs of the layers it reads. */
export function applyLayer(net: Network, i: number, ins: Arr[], batch: number): Arr {
  const layer = net.layers[i];
  const op = layer.op;
  const x = ins[0];
  const single = x instanceof Float32Array;
  const inShape = layerInputShape(net, i);
  switch (op.kind) {
    case 'dense': return single ? dense32(op, x, batch) : dense64(op, x, batch);
    case 'conv2d': return conv(op, x, batch, inShape, layer.shape, single);
    case 'maxpool2d':
    case 'avgpool2d': return pool(layer, x, batch, inShape, layer.shape);
    case 'pad': return pad(op.pads, x, batch, inShape, layer.shape);
    case 'relu': {
      // a plain loop: TypedArray map calls a function per element (the attack's forward passes)
      const y = alloc(x, x.length);
      for (let k = 0; k < x.length; k++) y[k] = x[k] > 0 ? x[k] : 0;
      return y;
    }
    case 'sigmoid': return x.map((v) => 1 / (1 + Math.exp(-v)));
    case 'reshape': return x;
    case 'add': {
      const b = ins[1];
      return x.map((v, k) => v + b[k]);
    }
    case 'affine': {
      const n = op.scale.length;
      const y = alloc(x, x.length);
      for (let k = 0; k < x.length; k++) {
        const j = k % n;
        y[k] = single ? fr(fr(x[k] * op.scale[j]) + op.shift[j]) : x[k] * op.scale[j] + op.shift[j];
      }
      return y;
    }
    case 'permute': {
      const n = op.perm.length;
      const y = alloc(x, x.length);
      for (let b = 0; b < batch; b++) for (let k = 0; k < n; k++) y[b * n + k] = x[b * n + op.perm[k]];
      return y;
    }
  }
}

function run(net: Network, x: Arr, batch: number, keepAll: boolean): Arr[] {
  const n = inputSize(net);
  if (x.length !== batch * n) throw new Error(`forward: ${x.length} input values for a batch of ${batch} × ${n}`);
  // when each layer's output is last read, so it can be dropped early
  const lastUse = net.layers.map(() => -1);
  net.layers.forEach((l, i) => { for (const s of l.inputs) if (s !== INPUT) lastUse[s] = i; });
  const outs: Arr[] = [];
  net.layers.forEach((_, i) => {
    const ins = net.layers[i].inputs.map((s) => (s === INPUT ? x : outs[s]));
    outs[i] = applyLayer(net, i, ins, batch);
    if (!keepAll) for (const s of net.layers[i].inputs) if (s !== INPUT && lastUse[s] === i) outs[s] = undefined as unknown as Arr;
  });
  return outs;
}

/** Float64 outputs, batch × outputSize. */
export function forward(net: Network, x: Float64Array, batch: number): Float64Array {
  const outs = run(net, x, batch, false);
  return outs[outs.length - 1] as Float64Array;
}

/** Float32 outputs computed in float32 arithmetic (products and sums rounded). */
export function forward32(net: Network, x: Float32Array, batch: number): Float32Array {
  const outs = run(net, x, batch, false);
  return outs[outs.length - 1] as Float32Array;
}

/** Every layer's float64 output (batch × size(layer.shape)); reshape layers share their input's array. */
export function forwardLayers(net: Network, x: Float64Array, batch: number): Float64Array[] {
  return run(net, x, batch, true) as Float64Array[];
}

