// Input boxes [x - eps, x + eps] ∩ [0, 1] for (input, epsilon) probes, in the engines' Boxes form.
import type { Boxes } from '../bounds/types.js';

const buf = new DataView(new ArrayBuffer(8));

/** The next float64 below v (v finite). */
export function nextDown(v: number): number {
  if (v === 0) return -Number.MIN_VALUE;
  buf.setFloat64(0, v);
  const bits = buf.getBigUint64(0);
  buf.setBigUint64(0, v > 0 ? bits - 1n : bits + 1n);
  return buf.getFloat64(0);
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
