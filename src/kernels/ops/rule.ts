// The contract of a GPU operator: what the WebGPU engine uploads for it, its interval step (and
// the relaxation CROWN reads), and its CROWN backward step, each a few kernel dispatches. It
// mirrors the CPU engine's rule for the op (src/bounds/ops/<op>.ts) in f32 with outward
// rounding: every step's rounding error is paid for by the rowops slack terms it requests
// (shaders/rowops.wgsl, fp.ts). The drivers (../gpunet.ts, ../propagate.ts, ../backward.ts)
// only iterate layers and call these; the registry (./index.ts) makes the compiler ask for every
// op kind, so an op is either implemented here or named as left to the CPU engine.
import type { Op } from '../../network.js';
import type { GpuRuntime } from '../runtime.js';
import type { GpuLayer } from '../gpunet.js';

/** Bounds of a layer on the device: f32 lower and upper per (box, neuron); v: max|z| for the next step's slack, where a kernel writes it. */
export interface Bounds { lo: GPUBuffer; hi: GPUBuffer; v?: GPUBuffer }
/** A relaxation on the device: line or window data per (box, neuron) (see the rule that writes it). */
export interface Relax { f: GPUBuffer; idx?: GPUBuffer }

/**
 * The per-row operations of shaders/rowops.wgsl (its MODE constant), by name; the shader's
 * header gives each one's formula and slack.
 */
export type RowOp = 'linearBias' | 'relu' | 'affine' | 'concretise' | 'maxpool' | 'sigmoid' | 'rounded';

export interface UploadCtx {
  rt: GpuRuntime;
  /** The layer being uploaded (inShape, sizes); the rule sets the buffers its kernels read. */
  g: GpuLayer;
  /** A float64 array rounded to nearest f32, uploaded and kept for the network's life. */
  f32(a: Float64Array): GPUBuffer;
  /** Keeps a buffer for the network's life. */
  keep(b: GPUBuffer): GPUBuffer;
}

export interface IntervalCtx {
  rt: GpuRuntime;
  L: GpuLayer;
  /** Boxes in the chunk. */
  count: number;
  /** Bounds of the layer's input. */
  x: Bounds;
  /** The layer's output bounds (lo, hi: count × outSize, allocated); the rule fills them and may set v. */
  y: Bounds;
  /** Also build the relaxation the CROWN backward step reads. */
  crown: boolean;
  /** Outputs per thread of the GEMM kernels. */
  tile: { TM: number; TN: number };
  /** Bound to bindings a kernel's mode does not read. */
  dummy: GPUBuffer;
  alloc(floats: number): GPUBuffer;
}

export interface StepCtx {
  rt: GpuRuntime;
  L: GpuLayer;
  /** Rows in the pass. */
  R: number;
  /** Bounds of the layer's input (x) and output (y). */
  x: Bounds;
  y: Bounds;
  /** The relaxation the interval step built (nonlinear ops). */
  relax: Relax | undefined;
  /** R × outSize coefficients on the output now; a step that writes the input's into `spare` calls swap(). */
  readonly lam: GPUBuffer;
  readonly spare: GPUBuffer;
  swap(): void;
  /** The box of each row. */
  rowBox: GPUBuffer;
  dummy: GPUBuffer;
  tile: { TM: number; TN: number };
  /**
   * One rowops operation on the R rows of width n (va, vb: its operands; b: the bounds its slack
   * reads); `next`: the relative error of the following kernel's products and sums, paid here.
   */
  rowop(op: RowOp, n: number, va: GPUBuffer, vb: GPUBuffer, b: Bounds, next?: number): void;
}

export interface GpuOpRule<O extends Op = Op> {
  /**
   * coordinatewise: each output an affine function of one input (Affine, moves of elements);
   * linear: a linear map with a bias (its interval image of a box is exact); nonlinear: the
   * rest. A linear layer fed only by coordinate-wise functions of the input box needs no CROWN
   * tightening (gpunet.ts).
   */
  readonly form: 'coordinatewise' | 'linear' | 'nonlinear';
  /** Uploads what the op's kernels read (weights, index maps); absent: nothing. */
  upload?(op: O, c: UploadCtx): void;
  /** The interval step; returns the relaxation when c.crown asks for one and the op has one. */
  interval(op: O, c: IntervalCtx): Relax | undefined;
  /** The CROWN backward step: coefficients on the output (c.lam) to coefficients on the input. */
  backward(op: O, c: StepCtx): void;
  /**
   * IBP's output bounds: as the last layer, the spec rows C are folded into it (one backward
   * step, concretised over its input's bounds) rather than concretised over its output's.
   */
  readonly foldsSpec: boolean;
  /** Multiply-adds of one backward row through the layer (the engine's statistics); absent: 0. */
  macs?(op: O, L: GpuLayer): number;
}

/** An op the GPU engine leaves to the CPU engine, and why. */
export interface CpuOnly { readonly cpuOnly: string }
