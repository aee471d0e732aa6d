// What a MILP's objective means on the real network, as plain data that can travel to a pool
// worker: the branch-and-bound (bab.ts) replays the input part of every LP point with the
// float64 forward pass and counts only the value it replays to, never the solver's number.
import type { Network } from '../network.js';
import { forward } from '../forward.js';
import type { Conjunction } from '../spec/property.js';
import { conjunctionViolation } from '../spec/property.js';
import type { Box } from './encode/input.js';

export type ReplaySpec =
  /** Objective c·y + offset (y the network's output). */
  | { kind: 'linear'; net: Network; box: Box; c: Float64Array; offset?: number }
  /** Objective max_r (a_r·y − b_r) (the negated slack of findset's model). */
  | { kind: 'violation'; net: Network; box: Box; conj: Conjunction }
  /** Objective ‖x − x0‖ over points whose decision has left `label` by δ (or reached `target`). */
  | { kind: 'distance'; net: Network; box: Box; x0: Float64Array; norm: 'linf' | 'l1'; label: number; delta: number; target?: number };

/** The input part of a column vector, clipped into the box (LP points can lie 1e-9 outside). */
export function clipInput(box: Box, cols: ArrayLike<number>): Float64Array {
  const x = new Float64Array(box.lower.length);
  for (let i = 0; i < x.length; i++) x[i] = Math.min(Math.max(cols[i], box.lower[i]), box.upper[i]);
  return x;
}

// a decision margin the LP puts exactly at −δ may replay a rounding error above it
const DECISION_SLACK = 1e-9;

/** The objective at input x on the float64 network; +Infinity when x is not a feasible point. */
export function replayValue(spec: ReplaySpec, x: Float64Array): number {
  const y = forward(spec.net, x, 1);
  switch (spec.kind) {
    case 'linear': {
      let s = spec.offset ?? 0;
      for (let k = 0; k < y.length; k++) s += spec.c[k] * y[k];
      return s;
    }
    case 'violation': return conjunctionViolation(spec.conj, y);
    case 'distance': {
      if (!decisionHolds(y, spec.label, spec.delta - DECISION_SLACK, spec.target)) return Infinity;
      let d = 0;
      for (let i = 0; i < x.length; i++) {
        const a = Math.abs(x[i] - spec.x0[i]);
        d = spec.norm === 'linf' ? Math.max(d, a) : d + a;
      }
      return d;
    }
  }
}

/** The MILP's decision rows on y: y_label − y_j ≤ −δ for some j (or y_target − y_k ≥ δ for all k). */
function decisionHolds(y: Float64Array, label: number, delta: number, target?: number): boolean {
  if (y.length === 1) return (label === 1 ? y[0] : -y[0]) <= -delta;
  if (target !== undefined) {
    for (let k = 0; k < y.length; k++) if (k !== target && y[target] - y[k] < delta) return false;
    return true;
  }
  for (let j = 0; j < y.length; j++) if (j !== label && y[label] - y[j] <= -delta) return true;
  return false;
}
