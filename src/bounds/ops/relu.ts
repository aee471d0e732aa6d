// ReLU. Interval: [max(l,0), max(u,0)]. Relaxation (CROWN, as auto_LiRPA): stable neurons are
// exact (slope 1 when l ≥ 0, 0 when u ≤ 0); an unstable one (l < 0 < u) has the upper line
// through (l,0) and (u,u) and the adaptive lower line y = x when u ≥ −l, else y = 0 — the
// default of the free lower slope α ∈ [0, 1] (relax/types.ts) that α-CROWN optimises.
import type { ReluOp } from '../../network.js';
import type { OpRule } from './rule.js';
import { monotoneInterval } from './activation.js';
import type { LineRelax } from '../relax/types.js';
import { backwardLinesLive, backwardThroughLines, reverseThroughLines } from '../relax/lines.js';
import { backwardThroughLinesPatches, reverseThroughLinesPatches } from '../relax/lines-patches.js';
import { toDense } from '../patches.js';

/** The adaptive lower slope of an unstable ReLU (ties go to 1, everywhere in the engines). */
export function adaptiveSlope(l: number, u: number): number {
  return u >= -l ? 1 : 0;
}

export const reluRule: OpRule<ReluOp> = {
  nonlinear: true,
  onlyUnstable: true,
  // patch rows: the same lines on the window (../relax/lines-patches.ts)
  patches: (op, P, rows, ctx, relax, param) => (relax?.kind === 'lines'
    ? backwardThroughLinesPatches(P, rows, ctx.outSize, relax, param)
    : reluRule.backward(op, toDense(P), rows, ctx, relax, param)),
  interval(_op, [x]) {
    return monotoneInterval(x, (v) => (v > 0 ? v : 0));
  },
  relax(_op, [x]): LineRelax {
    const n = x.lower.length;
    const lowSlope = new Float64Array(n);
    const upSlope = new Float64Array(n);
    const upIcpt = new Float64Array(n);
    const free = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const l = x.lower[i], u = x.upper[i];
      if (l >= 0) {
        lowSlope[i] = 1;
        upSlope[i] = 1;
      } else if (u > 0) {
        const s = u / (u - l);
        upSlope[i] = s;
        upIcpt[i] = -s * l;
        lowSlope[i] = adaptiveSlope(l, u);
        free[i] = 1;
      }
    }
    return { kind: 'lines', lowSlope, upSlope, upIcpt, free };
  },
  backward(_op, A, rows, ctx, relax, param) {
    return backwardThroughLines(A, rows, ctx.outSize, relax as LineRelax, param);
  },
  backwardLive(_op, A, rows, ctx, relax, param) {
    return backwardLinesLive(A, rows, ctx.outSize, relax as LineRelax, param);
  },
  reverse(_op, G, A, rows, ctx, relax, param, grad) {
    return reverseThroughLines(G, A!, rows, ctx.outSize, relax as LineRelax, param, grad, ctx.needOut);
  },
  // element-wise: the derivative on the input is read on the output's own windows
  reversePatches: (_op, read, P, rows, ctx, relax, param, grad) => reverseThroughLinesPatches(read(P), P, rows, ctx.outSize, relax as LineRelax, param, grad),
};
