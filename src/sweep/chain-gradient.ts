// Input gradients of c·y for the sweep's attack, batched as matrix products. On a dense ReLU
// chain (verify/dense-chain.ts) the forward pass is X·Mᵀ per map and the backward pass G·M, both
// through the WebAssembly SIMD GEMM, which is several times faster than the general per-layer
// loops of gradient.ts on the sweep's batches of hundreds of rows. Any other network, or no
// WebAssembly, uses gradient.ts. Only the attack uses this: a wrong gradient would make it
// weaker, never unsound, since every point it reports is replayed on the float64 forward pass.
import type { Network } from '../network.js';
import { inputGradient, type InputGradient } from '../gradient.js';
import { denseChain, type DenseChain } from '../verify/dense-chain.js';
import { gemmWasm, wasmGemmAvailable } from '../bounds/wasm/gemm.js';

export type GradientFn = (x: Float64Array, batch: number, c: Float64Array) => InputGradient;

const cache = new WeakMap<Network, GradientFn>();

/** The fastest input-gradient function for `net` (same values as inputGradient up to rounding). */
export function gradientFor(net: Network): GradientFn {
  let fn = cache.get(net);
  if (!fn) {
    const chain = wasmGemmAvailable() ? denseChain(net) : null;
    fn = chain ? chainGradient(chain) : (x, batch, c) => inputGradient(net, x, batch, c);
    cache.set(net, fn);
  }
  return fn;
}

function transpose(w: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(w.length);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) t[k * rows + r] = w[r * cols + k];
  return t;
}

function chainGradient(chain: DenseChain): GradientFn {
  const maps = chain.maps;
  const wT = maps.map((m) => transpose(m.w, m.out, m.in)); // in × out
  return (x, batch, c) => {
    // forward, keeping each map's pre-activation z_k
    const zs: Float64Array[] = [];
    let a = x;
    maps.forEach((m, k) => {
      const z = new Float64Array(batch * m.out);
      gemmWasm(a, batch, m.in, wT[k], m.out, z);
      for (let b = 0; b < batch; b++) for (let o = 0; o < m.out; o++) z[b * m.out + o] += m.b[o];
      zs.push(z);
      if (k < maps.length - 1) a = z.map((v) => (v > 0 ? v : 0));
    });
    const output = zs[zs.length - 1];
    // backward: g ← (g·M_k) ⊙ [z_{k−1} > 0]
    let g = c;
    for (let k = maps.length - 1; k >= 0; k--) {
      const m = maps[k];
      const gin = new Float64Array(batch * m.in);
      gemmWasm(g, batch, m.out, m.w, m.in, gin);
      if (k > 0) {
        const z = zs[k - 1];
        for (let i = 0; i < gin.length; i++) if (!(z[i] > 0)) gin[i] = 0;
      }
      g = gin;
    }
    return { output, grad: g };
  };
}
