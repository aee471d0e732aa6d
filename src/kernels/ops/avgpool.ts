// AvgPool on the GPU: linear, W = 1/d and b = 0. Backward: rowops linearBias (zero bias; it pays
// for the gather's compensated sums, and 5u for its quotients, 2.5 ulp each), then pool_back.
import type { AvgPool2dOp } from '../../network.js';
import { dotError, U32R } from '../fp.js';
import type { GpuOpRule } from './rule.js';
import { poolBack, poolInterval } from './pool.js';
import { windowTerms } from './window.js';

export const avgpoolRule: GpuOpRule<AvgPool2dOp> = {
  form: 'linear',
  upload(_op, c) {
    c.g.biasFull = c.keep(c.rt.upload(new Float32Array(c.g.outSize)));
  },
  interval(op, c) {
    poolInterval(op, c);
    return undefined;
  },
  backward(op, c) {
    c.rowop('linearBias', c.L.outSize, c.L.biasFull!, c.y.v!, c.x, (dotError(1, windowTerms(op)) + 6 * U32R) * (1 + 5 * U32R));
    poolBack(op, c);
  },
  foldsSpec: false,
};
