// A sequential ReLU network seen as affine maps between ReLUs: z_0 = M_0 x + c_0,
// z_k = M_k relu(z_{k−1}) + c_k. Linear layers between two ReLUs (dense, element-wise
// affine normalisation, permute, reshape) are multiplied into one map. This is the form the
// α-CROWN stage optimises; networks with other ops (conv, pooling, sigmoid, residual adds)
// give null and the stage is skipped for them.
import type { Network } from '../network.js';
import { inputSize, isSequential } from '../network.js';
import { matmulRows } from '../bounds/linalg.js';

export interface AffineMap {
  /** out × in, row-major. */
  w: Float64Array;
  b: Float64Array;
  out: number;
  in: number;
}

/** maps[k] gives z_k; a ReLU sits between maps[k] and maps[k+1]; the last map gives the output. */
export interface DenseChain {
  maps: AffineMap[];
  /** For each ReLU (k < maps.length − 1): the network layer whose output is z_k (−1: the input). */
  preLayer: number[];
}

/** Largest map (entries) worth building; bigger ones are left to the engines. */
const MAX_ENTRIES = 8_000_000;

export function denseChain(net: Network): DenseChain | null {
  if (!isSequential(net)) return null;
  const maps: AffineMap[] = [];
  const preLayer: number[] = [];
  let cur: AffineMap | null = null; // null: identity on `width`
  let width = inputSize(net);
  const identity = (n: number): AffineMap => {
    const w = new Float64Array(n * n);
    for (let i = 0; i < n; i++) w[i * n + i] = 1;
    return { w, b: new Float64Array(n), out: n, in: n };
  };
  for (const [index, layer] of net.layers.entries()) {
    const op = layer.op;
    switch (op.kind) {
      case 'reshape':
        break;
      case 'relu':
        maps.push(cur ?? identity(width));
        preLayer.push(index - 1);
        cur = null;
        break;
      case 'dense': {
        if (!cur) {
          cur = { w: op.weight.slice(), b: op.bias.slice(), out: op.outFeatures, in: op.inFeatures };
        } else {
          if (op.outFeatures * cur.in > MAX_ENTRIES) return null;
          const w: Float64Array = new Float64Array(op.outFeatures * cur.in);
          const b = op.bias.slice();
          for (let o = 0; o < op.outFeatures; o++) {
            const row = w.subarray(o * cur.in, (o + 1) * cur.in);
            for (let k = 0; k < op.inFeatures; k++) {
              const v = op.weight[o * op.inFeatures + k];
              if (v === 0) continue;
              const src = cur.w.subarray(k * cur.in, (k + 1) * cur.in);
              for (let j = 0; j < cur.in; j++) row[j] += v * src[j];
              b[o] += v * cur.b[k];
            }
          }
          cur = { w, b, out: op.outFeatures, in: cur.in };
        }
        width = op.outFeatures;
        break;
      }
      case 'affine': {
        if (!cur) {
          if (width * width > MAX_ENTRIES) return null;
          cur = identity(width);
        }
        for (let o = 0; o < cur.out; o++) {
          const s = op.scale[o];
          for (let j = 0; j < cur.in; j++) cur.w[o * cur.in + j] *= s;
          cur.b[o] = cur.b[o] * s + op.shift[o];
        }
        break;
      }
      case 'permute': {
        if (!cur) {
          if (width * width > MAX_ENTRIES) return null;
          cur = identity(width);
        }
        const w: Float64Array = new Float64Array(cur.w.length);
        const b: Float64Array = new Float64Array(cur.out);
        for (let o = 0; o < cur.out; o++) {
          const p = op.perm[o];
          w.set(cur.w.subarray(p * cur.in, (p + 1) * cur.in), o * cur.in);
          b[o] = cur.b[p];
        }
        cur = { ...cur, w, b };
        break;
      }
      default:
        return null;
    }
  }
  maps.push(cur ?? identity(width));
  return { maps, preLayer };
}

/** The chain's output at B inputs (float64), to screen candidates before the real replay. */
export function chainForward(chain: DenseChain, X: Float64Array, B: number): Float64Array {
  let h = X;
  chain.maps.forEach((m, k) => {
    const z = new Float64Array(B * m.out);
    // z = h · wᵀ: matmulRows's right factor is wᵀ (in × out), given transposed, i.e. w itself
    matmulRows(h, B, m.in, m.w, m.out, z);
    for (let q = 0; q < B; q++) for (let o = 0; o < m.out; o++) {
      const v = z[q * m.out + o] + m.b[o];
      z[q * m.out + o] = k < chain.maps.length - 1 ? Math.max(0, v) : v;
    }
    h = z;
  });
  return h;
}
