// Sigmoid σ. Interval: [σ(l), σ(u)] (monotone). Relaxation: DeepPoly's (Singh et al. 2019):
//   lower: chord when l ≥ 0 (σ is concave there), else the line through (l, σ(l)) with slope
//          min(σ'(l), σ'(u));
//   upper: chord when u ≤ 0 (σ is convex there), else the line through (u, σ(u)) with that slope.
// The min-slope lines are sound for any l < u, mixed curvature included: σ' is unimodal, so it is
// at least min(σ'(l), σ'(u)) on [l, u] and σ rises at least that fast between any two points.
import type { SigmoidOp } from '../../network.js';
import type { OpRule } from './rule.js';
import { monotoneInterval } from './activation.js';
import type { LineRelax } from '../relax/types.js';
import { backwardThroughLines, reverseThroughLines } from '../relax/lines.js';
import { backwardThroughLinesPatches } from '../relax/lines-patches.js';
import { toDense } from '../patches.js';

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
function dsigmoid(x: number): number {
  const s = sigmoid(x);
  return s * (1 - s);
}

/** Below this width a chord is numerically meaningless; the constant bounds σ(l), σ(u) are used. */
const TINY = 1e-9;

export const sigmoidRule: OpRule<SigmoidOp> = {
  nonlinear: true,
  // patch rows: the same lines on the window (a parameterised relaxation takes the dense rule)
  patches: (op, P, rows, ctx, relax, param) => (relax?.kind === 'lines' && !param
    ? backwardThroughLinesPatches(P, rows, ctx.outSize, relax)
    : sigmoidRule.backward(op, toDense(P), rows, ctx, relax, param)),
  interval(_op, [x]) {
    return monotoneInterval(x, sigmoid);
  },
  relax(_op, [x]): LineRelax {
    const n = x.lower.length;
    const lowSlope = new Float64Array(n), lowIcpt = new Float64Array(n);
    const upSlope = new Float64Array(n), upIcpt = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const l = x.lower[i], u = x.upper[i];
      const sl = sigmoid(l), su = sigmoid(u);
      if (!(u - l > TINY)) {
        lowIcpt[i] = sl;
        upIcpt[i] = su;
        continue;
      }
      const chord = (su - sl) / (u - l);
      const tangent = Math.min(dsigmoid(l), dsigmoid(u));
      const ls = l >= 0 ? chord : tangent;
      lowSlope[i] = ls;
      lowIcpt[i] = sl - ls * l;
      const us = u <= 0 ? chord : tangent;
      upSlope[i] = us;
      upIcpt[i] = su - us * u;
    }
    return { kind: 'lines', lowSlope, lowIcpt, upSlope, upIcpt };
  },
  backward(_op, A, rows, ctx, relax) {
    return backwardThroughLines(A, rows, ctx.outSize, relax as LineRelax);
  },
  reverse(_op, G, A, rows, ctx, relax) {
    return reverseThroughLines(G, A!, rows, ctx.outSize, relax as LineRelax);
  },
};
