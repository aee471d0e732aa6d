// The engine's α-CROWN (src/bounds/optimise/alpha.ts) seen through a dense ReLU chain, for the
// tests written against the chain's pre-activation bounds and per-ReLU α (relu-bab, MILP).
import type { Network } from '../../src/network.js';
import type { DenseChain } from '../../src/verify/dense-chain.js';
import { chainPre, type PreBounds } from '../../src/verify/alpha-crown.js';
import { alphaBox } from '../../src/bounds/optimise/alpha.js';
import { crownLayerBounds } from '../../src/bounds/index.js';

export interface ChainAlphaOptions {
  iterations: number;
  stopAbove?: Float64Array;
  keepAlpha?: boolean;
  /** Adam steps for α-optimised intermediate bounds (absent: CROWN's). */
  intermediate?: number;
  batch?: number;
  deadline?: number;
}

/** α-CROWN bounds of the R rows of c; α per chain ReLU k (R × n_k) when kept. */
export function alphaCrown(net: Network, chain: DenseChain, lower: Float64Array, upper: Float64Array, c: Float64Array, R: number, o: ChainAlphaOptions):
  { lower: Float64Array; iterations: number; pre: PreBounds; alpha?: Float64Array[] } {
  const res = alphaBox(net, lower, upper, c, R, {
    iterations: o.iterations, lr: 0.1, deadline: Infinity, stopAbove: o.stopAbove, keepAlpha: o.keepAlpha,
    intermediate: o.intermediate ? { iterations: o.intermediate, deadline: o.deadline ?? Infinity, batch: o.batch, crown: crownLayerBounds(net, { lower, upper, count: 1 }) } : undefined,
  });
  const alpha = res.alpha && chain.preLayer.map((l, k) => res.alpha![l + 1] ?? new Float64Array(R * chain.maps[k].out).fill(NaN));
  return { lower: res.best, iterations: res.iterations, pre: chainPre(chain, res.bounds, lower, upper), alpha };
}

/** α-optimised pre-activation bounds of the chain's ReLUs. */
export function optimisedPreBounds(net: Network, chain: DenseChain, lower: Float64Array, upper: Float64Array, o: { iterations?: number; batch?: number; deadline?: number } = {}): PreBounds {
  const m = chain.maps[chain.maps.length - 1].out;
  return alphaCrown(net, chain, lower, upper, new Float64Array(m), 1, { iterations: 0, intermediate: o.iterations ?? 20, batch: o.batch, deadline: o.deadline }).pre;
}
