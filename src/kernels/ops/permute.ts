// Permute on the GPU: element moves by its permutation and the inverse (gather.ts).
import type { PermuteOp } from '../../network.js';
import type { GpuOpRule } from './rule.js';
import { gatherBack, gatherInterval } from './gather.js';

export const permuteRule: GpuOpRule<PermuteOp> = {
  form: 'coordinatewise',
  upload(op, c) {
    const back = new Int32Array(op.perm.length);
    op.perm.forEach((src, j) => { back[src] = j; });
    c.g.fwdIdx = c.keep(c.rt.upload(op.perm));
    c.g.backIdx = c.keep(c.rt.upload(back));
  },
  interval: (_op, c) => gatherInterval(c),
  backward: (_op, c) => gatherBack(c),
  foldsSpec: true,
};
