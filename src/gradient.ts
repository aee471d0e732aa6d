// Reverse-mode input gradients of c·y (one coefficient row per sample), for attacks (PGD)
// that look for points the bounds must contain. Max pooling routes the gradient to the
// first maximal position of each window; ReLU's subgradient at 0 is 0.
import { forwardLayers } from './forward.js';
import { INPUT, inputSize, layerInputShape, outputSize } from './network.js';
import type { Network } from './network.js';
import { convTaps, transposedConv, windowsOf } from './bounds/ops/window.js';
import { matmulRows, transposeOf } from './bounds/linalg.js';

export interface InputGradient {
  /** Network outputs, batch × outputSize. */
  output: Float64Array;
  /** d(c·y)/dx, batch × inputSize. */
  grad: Float64Array;
}

export function inputGradient(net: Network, x: Float64Array, batch: number, c: Float64Array): InputGradient {
  const outSize = outputSize(net);
  if (c.length !== batch * outSize) throw new Error(`inputGradient: ${c.length} coefficients for a batch of ${batch} × ${outSize} outputs`);
  const acts = forwardLayers(net, x, batch);
  const L = net.layers.length;
  const grads: (Float64Array | undefined)[] = new Array(L);
  grads[L - 1] = c.slice();
  const gInput = new Float64Array(batch * inputSize(net));

  const push = (src: number, gx: Float64Array) => {
    const dst = src === INPUT ? gInput : grads[src];
    if (!dst) { grads[src] = gx; return; }
    for (let k = 0; k < gx.length; k++) dst[k] += gx[k];
  };

  for (let i = L - 1; i >= 0; i--) {
    const g = grads[i];
    if (!g) continue;
    grads[i] = undefined;
    const layer = net.layers[i];
    const op = layer.op;
    const src = layer.inputs[0];
    const xin = src === INPUT ? x : acts[src];
    const [c0, h, wd] = layerInputShape(net, i);
    switch (op.kind) {
      case 'dense': {
        // gx = g·W (the SIMD GEMM on large batches: what makes the sweep's batched attack cheap)
        const { inFeatures: k, outFeatures: n, weight: w } = op;
        const gx = new Float64Array(batch * k);
        matmulRows(g, batch, n, transposeOf(w, n, k), k, gx);
        push(src, gx);
        break;
      }
      case 'conv2d': {
        // the transposed convolution (the conv rule's backward step without the bias)
        const t = convTaps(op, [c0, h, wd], layer.shape);
        const gx = new Float64Array(batch * c0 * h * wd);
        transposedConv(op, t, g, batch, c0 * h * wd, layer.shape[0] * t.positions, gx);
        push(src, gx);
        break;
      }
      case 'maxpool2d':
      case 'avgpool2d': {
        const { start, idx } = windowsOf(op, [c0, h, wd], layer.shape);
        const n = c0 * h * wd, m = start.length - 1;
        const gx = new Float64Array(xin.length);
        for (let b = 0; b < batch; b++) {
          for (let o = 0; o < m; o++) {
            const go = g[b * m + o], first = start[o], end = start[o + 1];
            if (op.kind === 'maxpool2d') {
              let best = -1;
              for (let t = first; t < end; t++) if (best < 0 || xin[b * n + idx[t]] > xin[best]) best = b * n + idx[t];
              if (best >= 0) gx[best] += go;
            } else {
              const share = go / (op.countIncludePad ? op.kernel[0] * op.kernel[1] : end - first);
              for (let t = first; t < end; t++) gx[b * n + idx[t]] += share;
            }
          }
        }
        push(src, gx);
        break;
      }
      case 'pad': {
        const [, oh, ow] = layer.shape;
        const [pt, pl] = op.pads;
        const gx = new Float64Array(xin.length);
        for (let b = 0; b < batch; b++) {
          for (let ch = 0; ch < c0; ch++) {
            for (let r = 0; r < h; r++) {
              const from = ((b * c0 + ch) * oh + r + pt) * ow + pl;
              gx.set(g.subarray(from, from + wd), ((b * c0 + ch) * h + r) * wd);
            }
          }
        }
        push(src, gx);
        break;
      }
      case 'relu': {
        // a plain loop: TypedArray map calls a function per element
        const gx = new Float64Array(g.length);
        for (let k = 0; k < g.length; k++) gx[k] = xin[k] > 0 ? g[k] : 0;
        push(src, gx);
        break;
      }
      case 'sigmoid': {
        const y = acts[i];
        push(src, g.map((v, k) => v * y[k] * (1 - y[k])));
        break;
      }
      case 'affine': {
        const n = op.scale.length;
        push(src, g.map((v, k) => v * op.scale[k % n]));
        break;
      }
      case 'permute': {
        const n = op.perm.length;
        const gx = new Float64Array(g.length);
        for (let b = 0; b < batch; b++) for (let k = 0; k < n; k++) gx[b * n + op.perm[k]] += g[b * n + k];
        push(src, gx);
        break;
      }
      case 'reshape':
        push(src, g);
        break;
      case 'add':
        push(src, g.slice());
        push(layer.inputs[1], g);
        break;
    }
  }
  return { output: acts[L - 1], grad: gInput };
}
