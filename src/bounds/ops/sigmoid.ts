// Sigmoid σ. Interval: [σ(l), σ(u)] (monotone). Relaxation: DeepPoly's (Singh et al. 2019):
//   lower: chord when l ≥ 0 (σ is concave there), else the line through (l, σ(l)) with slope
//          min(σ'(l), σ'(u));
//   upper: chord when u ≤ 0 (σ is convex there), else the line through (u, σ(u)) with that slope.
// The min-slope lines are sound for any l < u, mixed curvature included: σ' is unimodal, so it is
// at least min(σ'(l), σ'(u)) on [l, u] and σ rises at least that fast between any two points.
// These are the default (α = 0) members of the α family of relax/curve.ts (rotations about the
// end point, then tangents), which α-CROWN optimises; a neuron whose family has more than one
// line is marked free.
import type { SigmoidOp } from '../../network.js';
import type { OpRule } from './rule.js';
import { monotoneInterval } from './activation.js';
import type { LineRelax } from '../relax/types.js';
import { backwardThroughLines, reverseThroughLines } from '../relax/lines.js';
import { backwardThroughLinesPatches, reverseThroughLinesPatches } from '../relax/lines-patches.js';
import { toDense } from '../patches.js';
import { curveMoves, curveSide, dsigmoid, setCurveSide, sigmoid } from '../relax/curve.js';

export { sigmoid } from '../relax/curve.js';

/** Below this width a chord is numerically meaningless; the constant bounds σ(l), σ(u) are used. */
const TINY = 1e-9;

/** An empty sigmoid relaxation of n neurons (fill with setSigmoidNeuron). */
export function sigmoidRelax(n: number): LineRelax {
  return {
    kind: 'lines', lowSlope: new Float64Array(n), lowIcpt: new Float64Array(n), upSlope: new Float64Array(n), upIcpt: new Float64Array(n),
    free: new Uint8Array(n), curve: { lower: curveSide(n), upper: curveSide(n) },
  };
}

/** Neuron k's lines and α family for σ on [l, u] (also used for a domain's split neuron). */
export function setSigmoidNeuron(r: LineRelax, k: number, l: number, u: number): void {
  const sl = sigmoid(l), su = sigmoid(u);
  const { lower, upper } = r.curve!;
  if (!(u - l > TINY)) {
    r.lowSlope[k] = 0; r.lowIcpt![k] = sl;
    r.upSlope[k] = 0; r.upIcpt[k] = su;
    r.free![k] = 0;
    // constant paths (slope 0 through (l, σ(l)) and (u, σ(u))), for a caller that evaluates them anyway
    lower.anchor[k] = l; upper.anchor[k] = u;
    lower.value[k] = sl; upper.value[k] = su;
    lower.k0[k] = lower.k1[k] = upper.k0[k] = upper.k1[k] = 0;
    lower.tEnd[k] = upper.tEnd[k] = NaN;
    return;
  }
  const chord = (su - sl) / (u - l);
  const tangent = Math.min(dsigmoid(l), dsigmoid(u));
  const ls = l >= 0 ? chord : tangent;
  r.lowSlope[k] = ls;
  r.lowIcpt![k] = sl - ls * l;
  const us = u <= 0 ? chord : tangent;
  r.upSlope[k] = us;
  r.upIcpt[k] = su - us * u;
  setCurveSide(lower, k, l, u, false, ls);
  setCurveSide(upper, k, l, u, true, us);
  r.free![k] = curveMoves(lower, k) || curveMoves(upper, k) ? 1 : 0;
}

export const sigmoidRule: OpRule<SigmoidOp> = {
  nonlinear: true,
  // patch rows: the same lines on the window (../relax/lines-patches.ts)
  patches: (op, P, rows, ctx, relax, param) => (relax?.kind === 'lines'
    ? backwardThroughLinesPatches(P, rows, ctx.outSize, relax, param)
    : sigmoidRule.backward(op, toDense(P), rows, ctx, relax, param)),
  interval(_op, [x]) {
    return monotoneInterval(x, sigmoid);
  },
  relax(_op, [x]): LineRelax {
    const n = x.lower.length;
    const r = sigmoidRelax(n);
    for (let i = 0; i < n; i++) setSigmoidNeuron(r, i, x.lower[i], x.upper[i]);
    return r;
  },
  backward(_op, A, rows, ctx, relax, param) {
    return backwardThroughLines(A, rows, ctx.outSize, relax as LineRelax, param);
  },
  reverse(_op, G, A, rows, ctx, relax, param, grad) {
    return reverseThroughLines(G, A!, rows, ctx.outSize, relax as LineRelax, param, grad);
  },
  // element-wise: the derivative on the input is read on the output's own windows
  reversePatches: (_op, read, P, rows, ctx, relax, param, grad) => reverseThroughLinesPatches(read(P), P, rows, ctx.outSize, relax as LineRelax, param, grad),
};
