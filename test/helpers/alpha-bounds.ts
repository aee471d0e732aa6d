// The engine's α-CROWN (src/bounds/optimise/alpha.ts) in the shape the α, bab and MILP tests
// use: optimised bounds of some rows, and every layer's bounds (α-optimised intermediate bounds
// when asked), by network layer index.
import type { Network } from '../../src/network.js';
import { outputSize } from '../../src/network.js';
import type { LayerBounds } from '../../src/bounds/types.js';
import { alphaBox } from '../../src/bounds/optimise/alpha.js';
import { crownLayerBounds } from '../../src/bounds/index.js';

export interface AlphaOptions {
  iterations: number;
  stopAbove?: Float64Array;
  /** Adam steps for α-optimised intermediate bounds (absent: CROWN's). */
  intermediate?: number;
  batch?: number;
  deadline?: number;
}

/** α-CROWN bounds of the R rows of c, and every layer's bounds over the box. */
export function alphaCrown(net: Network, lower: Float64Array, upper: Float64Array, c: Float64Array, R: number, o: AlphaOptions):
  { lower: Float64Array; iterations: number; bounds: LayerBounds[] } {
  const res = alphaBox(net, lower, upper, c, R, {
    iterations: o.iterations, lr: 0.1, deadline: Infinity, stopAbove: o.stopAbove,
    intermediate: o.intermediate ? { iterations: o.intermediate, deadline: o.deadline ?? Infinity, batch: o.batch, crown: crownLayerBounds(net, { lower, upper, count: 1 }) } : undefined,
  });
  return { lower: res.best, iterations: res.iterations, bounds: res.bounds };
}

/** Every layer's bounds with α-optimised intermediate bounds. */
export function optimisedBounds(net: Network, lower: Float64Array, upper: Float64Array, o: { iterations?: number; batch?: number; deadline?: number } = {}): LayerBounds[] {
  return alphaCrown(net, lower, upper, new Float64Array(outputSize(net)), 1, { iterations: 0, intermediate: o.iterations ?? 20, batch: o.batch, deadline: o.deadline }).bounds;
}
