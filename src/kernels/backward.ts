// One CROWN backward pass on the GPU for a block of rows: from coefficients Λ on one layer's
// output back through every layer down to `stop`, then concretised over the input bounds of
// `stop` (the input boxes when stop = 0). Rows may belong to any boxes (rowBox), so the same
// pass serves the spec rows of a block of boxes and the selected neurons a layer is tightened on.
// Each step is the op's GPU rule (ops/<op>.ts), which mirrors the CPU engine's rule for the op
// (src/bounds/ops/*.ts); the f32 rounding of every step is paid for by the rowops slack terms
// (see shaders/rowops.wgsl), which this file dispatches by name (ROWOPS).
import type { GpuRuntime } from './runtime.js';
import { params } from './runtime.js';
import type { GpuLayer } from './gpunet.js';
import { slackFactor, etaTerm, dotError, ROW_BLOCK, U32R } from './fp.js';
import { gpuRuleFor, isCpuOnly, type Bounds, type Relax, type RowOp } from './ops/index.js';
import type { StepCtx } from './ops/rule.js';

export type { Bounds, Relax };

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

/**
 * rowops.wgsl's modes: the shader's MODE constant, the mode's own roundings beside its
 * compensated sums (linearBias: the f32 bias, u'; relu, affine: 2u'; sigmoid: u'; rounded: only
 * u', the stored Λ's own rounding, and no sum of terms), as the shader's header states.
 */
const ROWOPS: Record<RowOp, { mode: number; own: number; sums: boolean }> = {
  linearBias: { mode: 0, own: U32R, sums: true },
  relu: { mode: 1, own: 2 * U32R, sums: true },
  affine: { mode: 2, own: 2 * U32R, sums: true },
  concretise: { mode: 3, own: 0, sums: true },
  maxpool: { mode: 4, own: 0, sums: true },
  sigmoid: { mode: 5, own: U32R, sums: true },
  rounded: { mode: 6, own: U32R, sums: false },
};

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
  // mode's own roundings (ROWOPS); its magnitude sums S run in blocks of B ≈ √n (k = B + ⌈n/B⌉ +
  // 2 roundings per term). `next`: the relative error of the next step's products and sums
  // (Dense/Conv2d GEMMs, pool gathers), paid for by rowops' g2·S2.
  const rowop = (name: RowOp, n: number, va: GPUBuffer, vb: GPUBuffer, b: Bounds, next = 0) => {
    const { mode, own, sums } = ROWOPS[name];
    const B = Math.max(1, Math.ceil(Math.sqrt(n)));
    const k = B + Math.ceil(n / B) + 2;
    const g = slackFactor((sums ? dotError(ROW_BLOCK, n) : 0) + own, k);
    rt.dispatch('rowops', { MODE: mode, CB: ROW_BLOCK }, params(R, n, { f: g }, { f: etaTerm(n) }, B, { f: slackFactor(next, k) }),
      [lam, cst, va, vb, b.lo, b.hi, out, rowBox], Math.ceil(R / 64));
  };
  if (roundedSpec) {
    // C was rounded to f32: Λ·1 leaves it as is and the affine slack covers |C − fl32(C)|·|y|
    const ones = rt.upload(new Float32Array(width).fill(1)), zeros = rt.upload(new Float32Array(width));
    rowop('affine', width, ones, zeros, c.boundsOf(from));
    rt.release(ones, zeros);
  }
  for (let k = from; k >= stop; k--) {
    const L = layers[k];
    const rule = gpuRuleFor(L.layer.op);
    if (isCpuOnly(rule)) throw new Error(`the GPU engine has no CROWN kernel for ${L.layer.op.kind} (${rule.cpuOnly})`);
    const step: StepCtx = {
      rt, L, R, x: c.boundsOf(k - 1), y: c.boundsOf(k), relax: c.relaxOf(k), rowBox, dummy: c.dummy, tile: c.tile, rowop,
      get lam() { return lam; },
      get spare() { return spare; },
      swap() { [lam, spare] = [spare, lam]; },
    };
    rule.backward(L.layer.op, step);
    width = L.inSize;
  }
  rowop('concretise', width, c.dummy, c.dummy, c.boundsOf(stop - 1));
  c.free(lam, spare, cst, rowBox);
  return out;
}
