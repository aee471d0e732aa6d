// One CROWN backward pass on the GPU for a block of rows: from coefficients Λ on one layer's
// output back through every layer down to `stop`, then concretised over the input bounds of
// `stop` (the input boxes when stop = 0). Rows may belong to any boxes (rowBox), so the same
// pass serves the spec rows of a block of boxes and the selected neurons a layer is tightened on.
// Each step mirrors the CPU engine's rule for the op (src/bounds/ops/*.ts); the f32 rounding of
// every step is paid for by the rowops slack terms (see shaders/rowops.wgsl).
import type { GpuRuntime } from './runtime.js';
import { params } from './runtime.js';
import type { GpuLayer } from './gpunet.js';
import { slackFactor, etaTerm, dotError, exactDotError, ROW_BLOCK, U32R } from './fp.js';

export interface Bounds { lo: GPUBuffer; hi: GPUBuffer; v?: GPUBuffer }
export interface Relax { f: GPUBuffer; idx?: GPUBuffer }

/** What a backward pass reads from the chunk it runs in. */
export interface PassCtx {
  rt: GpuRuntime;
  layers: GpuLayer[];
  /** Output bounds of layer k (k = -1: the input boxes). */
  boundsOf(k: number): Bounds;
  relaxOf(k: number): Relax | undefined;
  dummy: GPUBuffer;
  alloc(floats: number): GPUBuffer;
  free(...bufs: GPUBuffer[]): void;
  tile: { TM: number; TN: number };
}

/** Fills the first R rows of lam (R × width of layer `from`), and cst and rowBox, for a pass. */
export type InitRows = (lam: GPUBuffer, cst: GPUBuffer, rowBox: GPUBuffer) => void;

const groups = (total: number) => Math.ceil(total / 256);

function windowParams(L: GpuLayer): number[] {
  const op = L.layer.op as { kernel: [number, number]; stride: [number, number]; pads: number[] };
  const [c, h, w] = L.inShape;
  const [, oh, ow] = L.layer.shape;
  return [c, h, w, oh, ow, op.kernel[0], op.kernel[1], op.stride[0], op.stride[1], op.pads[0], op.pads[1]];
}

/**
 * Runs the pass for R rows and returns a buffer of R lower bounds (the caller frees it).
 * `roundedSpec`: the rows' starting coefficients were rounded to f32, so the slack of
 * |C − fl32(C)|·|y| is taken over layer `from`'s bounds first.
 */
export function backwardPass(c: PassCtx, from: number, stop: number, R: number, init: InitRows, roundedSpec = false): GPUBuffer {
  const { rt, layers } = c;
  let width = layers[from].outSize;
  let maxWidth = width;
  for (let k = from; k >= stop; k--) maxWidth = Math.max(maxWidth, layers[k].inSize);
  let lam = c.alloc(R * maxWidth);
  let spare = c.alloc(R * maxWidth);
  const cst = c.alloc(2 * R); // pairs (hi, lo): rowops.wgsl
  const rowBox = c.alloc(R);
  const out = c.alloc(R);
  init(lam, cst, rowBox);
  // rowops: its own compensated sums (blocks of ROW_BLOCK) have error β(ROW_BLOCK, n), plus the
  // mode's own roundings (LINEAR_BIAS: the f32 bias, u'; RELU/AFFINE 2u'; SIGMOID u'; ROUNDED:
  // only u', the stored Λ's own rounding); its magnitude sums S run in blocks of
  // B ≈ √n (k = B + ⌈n/B⌉ + 2 roundings per term). `next`: the relative error of the next step's
  // products and sums (Dense/Conv2d GEMMs, pool gathers), paid for by rowops' g2·S2.
  const OWN = [U32R, 2 * U32R, 2 * U32R, 0, 0, U32R, U32R];
  const rowop = (mode: number, n: number, va: GPUBuffer, vb: GPUBuffer, b: Bounds, next = 0) => {
    const B = Math.max(1, Math.ceil(Math.sqrt(n)));
    const k = B + Math.ceil(n / B) + 2;
    const g = slackFactor(((mode === 6 ? 0 : dotError(ROW_BLOCK, n)) + OWN[mode]), k);
    rt.dispatch('rowops', { MODE: mode, CB: ROW_BLOCK }, params(R, n, { f: g }, { f: etaTerm(n) }, B, { f: slackFactor(next, k) }),
      [lam, cst, va, vb, b.lo, b.hi, out, rowBox], Math.ceil(R / 64));
  };
  const swap = () => { [lam, spare] = [spare, lam]; };
  if (roundedSpec) {
    // C was rounded to f32: Λ·1 leaves it as is and the AFFINE slack covers |C − fl32(C)|·|y|
    const ones = rt.upload(new Float32Array(width).fill(1)), zeros = rt.upload(new Float32Array(width));
    rowop(2, width, ones, zeros, c.boundsOf(from));
    rt.release(ones, zeros);
  }
  for (let k = from; k >= stop; k--) {
    const L = layers[k];
    const op = L.layer.op;
    const x = c.boundsOf(k - 1);
    const y = c.boundsOf(k);
    switch (op.kind) {
      case 'dense':
        // back_gemm's error: δ(N)·Σ|Λ||W| a priori here (V bounds |W̃|·max|z|, |W| ≤ (1 + u')|W̃|),
        // u'·Σ|Λ'|·max|x| a posteriori from the stored Λ' (ROUNDED, after it)
        rowop(0, width, L.bias!, y.v!, x, exactDotError(op.outFeatures) * (1 + 2 * U32R));
        rt.dispatch('back_gemm', c.tile, params(R, op.outFeatures, op.inFeatures), [lam, L.weightHi!, L.weightLo!, spare],
          Math.ceil(R / (16 * c.tile.TM)) * Math.ceil(op.inFeatures / (16 * c.tile.TN)));
        swap();
        rowop(6, op.inFeatures, c.dummy, c.dummy, x);
        break;
      case 'conv2d': {
        const [ch, h, w, oh, ow, kh, kw, sh, sw, pt, pl] = windowParams(L);
        // each input element's gather: error-free products of ≤ OC·⌈KH/SH⌉·⌈KW/SW⌉ terms, as back_gemm
        const terms = op.outChannels * Math.ceil(kh / sh) * Math.ceil(kw / sw);
        rowop(0, width, L.biasFull!, y.v!, x, exactDotError(terms, op.outChannels) * (1 + 2 * U32R));
        const total = R * L.inSize;
        rt.dispatch('conv_back', {}, params(total, ch, h, w, op.outChannels, oh, ow, kh, kw, sh, sw, pt, pl),
          [lam, L.weightHi!, L.weightLo!, spare], groups(total));
        swap();
        rowop(6, L.inSize, c.dummy, c.dummy, x);
        break;
      }
      case 'avgpool2d':
      case 'maxpool2d': {
        const avg = op.kind === 'avgpool2d';
        const relax = c.relaxOf(k);
        // a pooled input is a compensated sum over ≤ ⌈KH/SH⌉·⌈KW/SW⌉ windows; AvgPool's quotients
        // (2.5 ulp each) add 5u; MaxPool's a·s roundings (u') are in MODE 4's factor 2
        const [kh, kw] = op.kernel, [sh, sw] = op.stride;
        const terms = Math.ceil(kh / sh) * Math.ceil(kw / sw);
        if (avg) rowop(0, width, L.biasFull!, y.v!, x, (dotError(1, terms) + 6 * U32R) * (1 + 5 * U32R));
        else rowop(4, width, relax!.f, y.v!, x, dotError(1, terms) + 2 * U32R);
        const total = R * L.inSize;
        const incl = avg && op.countIncludePad ? 1 : 0;
        rt.dispatch('pool_back', { AVG: avg ? 1 : 0 }, params(total, ...windowParams(L), incl),
          [lam, avg ? c.dummy : relax!.idx!, rowBox, spare], groups(total));
        swap();
        break;
      }
      case 'sigmoid':
        rowop(5, width, c.relaxOf(k)!.f, c.dummy, x);
        break;
      case 'relu':
        rowop(1, width, c.dummy, c.dummy, x);
        break;
      case 'affine':
        rowop(2, width, L.weight!, L.bias!, x);
        break;
      case 'reshape':
        break;
      case 'permute':
      case 'pad':
        rt.dispatch('gather', {}, params(R * L.inSize, L.inSize, L.outSize), [lam, L.backIdx!, spare], groups(R * L.inSize));
        swap();
        break;
      default:
        throw new Error(`the GPU engine has no CROWN kernel for ${op.kind}`);
    }
    width = L.inSize;
  }
  rowop(3, width, c.dummy, c.dummy, c.boundsOf(stop - 1));
  c.free(lam, spare, cst, rowBox);
  return out;
}
