// Shared vocabulary of the bound engines (CPU reference in src/bounds, WebGPU in src/kernels),
// so that commands, the cascade and the MILP read bounds the same way whichever engine made them.
import type { Network } from '../network.js';

export type BoundMethod = 'ibp' | 'crown';

/**
 * `count` input boxes, each `inputSize(net)` numbers: box b is
 * [lower[b*n .. (b+1)*n), upper[b*n .. (b+1)*n)). Boxes are already clipped to the
 * input domain (e.g. [x - eps, x + eps] ∩ [0, 1]).
 */
export interface Boxes {
  lower: Float64Array;
  upper: Float64Array;
  count: number;
}

/**
 * The output specification C folded into the last layer: for each box, `rows` linear
 * functions of the network's output y (row r of box b is
 * c[(b*rows + r)*outSize .. +outSize)), or, when `shared` is true, one rows × outSize
 * matrix for every box. Bounds are then on C·y directly (e.g. margins y_label − y_j).
 */
export interface Spec {
  c: Float64Array;
  rows: number;
  shared: boolean;
}

export interface BoundResult {
  /** count × rows lower bounds of C·y (or of y itself when no spec was given). */
  lower: Float64Array;
  /** count × rows upper bounds. */
  upper: Float64Array;
  rows: number;
}

/** Per-layer bounds on each layer's output (layers of the network, in order), count × size(shape). */
export interface LayerBounds {
  lower: Float64Array;
  upper: Float64Array;
}

export interface BoundOptions {
  method: BoundMethod;
  spec?: Spec;
  /**
   * Only the lower bounds are wanted (a verdict reads nothing else): an engine may then skip the
   * upper ones and return +Infinity there (sound, and uninformative). Default false.
   */
  lowerOnly?: boolean;
}

/** What `bounds`, `sweep` and the cascade call; the CPU and GPU engines both implement it. */
export interface BoundEngine {
  readonly backend: 'cpu' | 'gpu';
  /** e.g. "cpu float64 (2 threads)" or "gpu: nvidia / hopper / NVIDIA H100 (hardware)". */
  describe(): string;
  bound(net: Network, boxes: Boxes, opts: BoundOptions): Promise<BoundResult>;
  dispose(): Promise<void>;
}
