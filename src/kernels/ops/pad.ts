// Pad (zeros around each CHW plane) on the GPU: element moves by its index maps (gather.ts).
import type { PadOp, Shape } from '../../network.js';
import type { GpuOpRule } from './rule.js';
import { gatherBack, gatherInterval } from './gather.js';

/** Output → input (−1: a padded zero) and input → output maps of a padding. */
function padMaps(inShape: Shape, pads: readonly number[]): { fwd: Int32Array; back: Int32Array } {
  const [c, h, w] = inShape;
  const [pt, pl, pb, pr] = pads;
  const oh = h + pt + pb, ow = w + pl + pr;
  const fwd = new Int32Array(c * oh * ow).fill(-1);
  const back = new Int32Array(c * h * w);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (ch * oh + y + pt) * ow + x + pl;
        const i = (ch * h + y) * w + x;
        fwd[o] = i;
        back[i] = o;
      }
    }
  }
  return { fwd, back };
}

export const padRule: GpuOpRule<PadOp> = {
  form: 'coordinatewise',
  upload(op, c) {
    const { fwd, back } = padMaps(c.g.inShape, op.pads);
    c.g.fwdIdx = c.keep(c.rt.upload(fwd));
    c.g.backIdx = c.keep(c.rt.upload(back));
  },
  interval: (_op, c) => gatherInterval(c),
  backward: (_op, c) => gatherBack(c),
  foldsSpec: true,
};
