// Input boxes [x - eps, x + eps] ∩ [0, 1] for (input, epsilon) probes, in the engines' Boxes form.
import type { Boxes } from '../bounds/types.js';

// v's bits as two 32-bit halves: stepping the 64-bit pattern by one without BigInt (the sweep
// does it for every pixel of every box); LO is the low half's index in this platform's order
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1, HI = 1 - LO;

/** The next float64 below v (v finite). */
export function nextDown(v: number): number {
  if (v === 0) return -Number.MIN_VALUE;
  f64[0] = v;
  if (v > 0) {
    // the magnitude one step down
    if (u32[LO] === 0) { u32[LO] = 0xffffffff; u32[HI]--; } else u32[LO]--;
  } else if (u32[LO] === 0xffffffff) { u32[LO] = 0; u32[HI]++; } else u32[LO]++;
  return f64[0];
}

/** The next float64 above v (v finite). */
export function nextUp(v: number): number {
  return -nextDown(-v);
}

export interface BoxDomain {
  lo: number;
  hi: number;
}

export const UNIT_DOMAIN: BoxDomain = { lo: 0, hi: 1 };

/**
 * Boxes for probes (inputs[which[k]], eps[k]): box k is [x - eps, x + eps] clipped to the domain.
 * x ± eps is rounded to nearest in float64, so each unclipped end is stepped out by one ulp:
 * the box then contains the real ball, which is what a proof must cover.
 */
export function buildBoxes(inputs: Float64Array, size: number, which: ArrayLike<number>, eps: ArrayLike<number>, domain: BoxDomain = UNIT_DOMAIN): Boxes {
  const count = which.length;
  const lower = new Float64Array(count * size);
  const upper = new Float64Array(count * size);
  for (let k = 0; k < count; k++) {
    const e = eps[k];
    const src = which[k] * size;
    const dst = k * size;
    for (let i = 0; i < size; i++) {
      const x = inputs[src + i];
      if (e === 0) {
        lower[dst + i] = x;
        upper[dst + i] = x;
        continue;
      }
      const l = nextDown(x - e);
      const u = nextUp(x + e);
      lower[dst + i] = l < domain.lo ? domain.lo : l;
      upper[dst + i] = u > domain.hi ? domain.hi : u;
    }
  }
  return { lower, upper, count };
}
