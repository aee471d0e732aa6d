// Zero padding of H and W: padded outputs are exactly 0; the rest copy their input. Patch rows
// (../patches.ts) keep their window, shifted by the top/left padding; entries on padding fall
// outside the input layer, where they are ignored.
import type { PadOp } from '../../network.js';
import type { OpRule, PatchStep } from './rule.js';
import { settle } from '../patches.js';

/** For each output position, the input index it copies, or −1 for padding. */
const cache = new WeakMap<PadOp, Int32Array>();
function sourceOf(op: PadOp, inShape: readonly number[]): Int32Array {
  let src = cache.get(op);
  if (src) return src;
  const [c, h, w] = inShape;
  const [pt, pl, pb, pr] = op.pads;
  const oh = h + pt + pb, ow = w + pl + pr;
  src = new Int32Array(c * oh * ow).fill(-1);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) src[(ch * oh + y + pt) * ow + x + pl] = (ch * h + y) * w + x;
    }
  }
  cache.set(op, src);
  return src;
}

const patches: PatchStep<PadOp> = (op, P, _rows, ctx) => {
  const [C, H, W] = ctx.inShapes[0];
  const Q = { ...P, C, H, W, oy: P.oy.map((y) => y - op.pads[0]), ox: P.ox.map((x) => x - op.pads[1]) };
  return [settle(Q)];
};

export const padRule: OpRule<PadOp> = {
  nonlinear: false,
  patches,
  interval(op, [x], ctx) {
    const src = sourceOf(op, ctx.inShapes[0]);
    const n = ctx.inSizes[0], m = ctx.outSize;
    const lower = new Float64Array(ctx.count * m);
    const upper = new Float64Array(ctx.count * m);
    for (let b = 0; b < ctx.count; b++) {
      for (let o = 0; o < m; o++) {
        if (src[o] < 0) continue;
        lower[b * m + o] = x.lower[b * n + src[o]];
        upper[b * m + o] = x.upper[b * n + src[o]];
      }
    }
    return { lower, upper };
  },
  backward(op, A, rows, ctx) {
    const src = sourceOf(op, ctx.inShapes[0]);
    const n = ctx.inSizes[0], m = ctx.outSize;
    const out = new Float64Array(rows.n * n);
    for (let r = 0; r < rows.n; r++) {
      for (let o = 0; o < m; o++) if (src[o] >= 0) out[r * n + src[o]] += A[r * m + o];
    }
    return [out];
  },
};
