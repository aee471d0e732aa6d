// What Dense and Conv2d share on the GPU: weights in f32 and as the two parts of the backward
// products (splitWeights), and their interval step, ibp_gemm (a Conv2d reads its input through
// the im2col windows of shaders/window.wgsl).
import type { Conv2dOp, DenseOp } from '../../network.js';
import { splitWeights } from '../gpunet.js';
import { params } from '../runtime.js';
import { slackFactor, etaTerm, dotError, gamma, f32Up, GEMM_BLOCK, U32 } from '../fp.js';
import type { IntervalCtx, UploadCtx } from './rule.js';
import { windowParams } from './window.js';

export function uploadWeights(op: DenseOp | Conv2dOp, c: UploadCtx): void {
  c.g.weight = c.f32(op.weight);
  const { hi, lo } = splitWeights(op.weight);
  c.g.weightHi = c.keep(c.rt.upload(hi));
  c.g.weightLo = c.keep(c.rt.upload(lo));
  c.g.bias = c.f32(op.bias);
}

/** y = W·x + b over the box: centre and radius through ibp_gemm, v = |W̃|·max|x| for the backward slack. */
export function gemmInterval(op: DenseOp | Conv2dOp, c: IntervalCtx): undefined {
  const { rt, L, count, x, y } = c;
  y.v = c.alloc(count * L.outSize);
  const conv = op.kind === 'conv2d';
  const K = conv ? op.inChannels * op.kernel[0] * op.kernel[1] : op.inFeatures;
  const N = conv ? op.outChannels : op.outFeatures;
  const rows = conv ? count * L.layer.shape[1] * L.layer.shape[2] : count;
  const win = conv ? windowParams(L) : new Array(11).fill(0);
  const { TM, TN } = c.tile;
  const tiles = Math.ceil(rows / (16 * TM)) * Math.ceil(N / (16 * TN));
  // centre and radius sums: compensated dots of K terms; 4u: the f32 weights, bias and y = C + b
  // (ibp_gemm.wgsl); the magnitude A is a plain sum (K + 1 roundings per term)
  const g = slackFactor(dotError(GEMM_BLOCK, K) + 4 * U32, K + 1);
  rt.dispatch('ibp_gemm', { CONV: conv, TM, TN, CB: GEMM_BLOCK },
    params(count, N, K, { f: g }, { f: etaTerm(K) }, { f: f32Up(2 * gamma(K + 2)) }, ...win),
    [x.lo, x.hi, L.weight!, L.bias!, y.lo, y.hi, y.v], tiles);
  return undefined;
}
