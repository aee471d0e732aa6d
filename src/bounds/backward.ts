// One CROWN backward pass for a block of rows: from coefficients on one layer's output back
// through every layer to the input box, accumulating coefficients that arrive along several
// paths (residual adds), then concretised over the box as A·centre − |A|·radius + bias.
import { INPUT } from '../network.js';
import type { NetPlan } from './plan.js';
import { ctxOf } from './plan.js';
import type { Rows } from './ops/index.js';
import { concretise } from './linalg.js';

export interface BackwardState {
  plan: NetPlan;
  /** Boxes in this chunk. */
  count: number;
  /** Per-layer relaxations (set for nonlinear layers once their input bounds are final). */
  relax: unknown[];
  /** Centre and radius of the input boxes, count × inSize. */
  inMid: Float64Array;
  inRad: Float64Array;
}

function addInto(acc: Float64Array, a: Float64Array, len: number): Float64Array {
  for (let i = 0; i < len; i++) acc[i] += a[i];
  return acc;
}

/**
 * Lower bounds of the rows (each f ≥ A·z + c for box rows.box[r]) where A0 (rows.n × size of
 * layer `start`) are the coefficients on layer `start`'s output. Returns rows.n lower bounds.
 */
export function backwardPass(st: BackwardState, start: number, A0: Float64Array, rows: Rows): Float64Array {
  const { plan } = st;
  const pending = new Map<number, Float64Array>([[start, A0]]);
  let inputA: Float64Array | undefined;
  const inSize = plan.inSize;
  for (let j = start; j >= 0; j--) {
    const A = pending.get(j);
    if (!A) continue;
    pending.delete(j);
    const p = plan.layers[j];
    const outs = p.rule.backward(p.op, A, rows, ctxOf(p, st.count), st.relax[j]);
    p.inputs.forEach((src, k) => {
      const a = outs[k];
      if (src === INPUT) inputA = inputA ? addInto(inputA, a, rows.n * inSize) : a;
      else {
        const prev = pending.get(src);
        pending.set(src, prev ? addInto(prev, a, rows.n * p.inSizes[k]) : a);
      }
    });
  }
  const lb = rows.bias.slice(0, rows.n);
  if (inputA) concretise(inputA, rows.n, inSize, st.inMid, st.inRad, rows.box, lb);
  return lb;
}
