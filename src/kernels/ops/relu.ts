// ReLU on the GPU: [max(l, 0), max(u, 0)] forward (exact); backward rowops relu, the CPU
// engine's relaxation computed per row from the input bounds (no relaxation buffer).
import type { ReluOp } from '../../network.js';
import type { GpuOpRule } from './rule.js';
import { unaryInterval } from './unary.js';

export const reluRule: GpuOpRule<ReluOp> = {
  form: 'nonlinear',
  interval(_op, c) {
    unaryInterval('relu', c);
    return undefined;
  },
  backward(_op, c) {
    c.rowop('relu', c.L.outSize, c.dummy, c.dummy, c.x);
  },
  foldsSpec: false,
};
