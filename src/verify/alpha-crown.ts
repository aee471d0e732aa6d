// The pre-activation bounds of a dense ReLU chain (dense-chain.ts) in the form the relu-bab and
// MILP stages read, taken from the engine's layer bounds (CROWN, or α-CROWN's from
// src/bounds/optimise/alpha.ts): α-CROWN itself runs on the one backward pass of src/bounds.
import type { DenseChain } from './dense-chain.js';
import type { LayerBounds } from '../bounds/types.js';
import type { Network } from '../network.js';
import { crownLayerBounds } from '../bounds/index.js';

/** Pre-activation bounds of each ReLU layer k (the output of maps[k]), k < maps.length − 1. */
export interface PreBounds {
  lower: Float64Array[];
  upper: Float64Array[];
}

/** The chain's pre-activation bounds out of every layer's bounds (preLayer −1: the input box). */
export function chainPre(chain: DenseChain, bounds: LayerBounds[], lower: Float64Array, upper: Float64Array): PreBounds {
  return {
    lower: chain.preLayer.map((l) => (l < 0 ? lower : bounds[l].lower).slice()),
    upper: chain.preLayer.map((l) => (l < 0 ? upper : bounds[l].upper).slice()),
  };
}

/** CROWN (adaptive slopes) ∩ IBP bounds of every ReLU layer's input. */
export function chainPreBounds(net: Network, chain: DenseChain, lower: Float64Array, upper: Float64Array): PreBounds {
  return chainPre(chain, crownLayerBounds(net, { lower, upper, count: 1 }), lower, upper);
}
