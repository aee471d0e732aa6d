// Affine (per-element normalisation y = s⊙x + t) on the GPU: unary affine forward, rowops
// affine backward (Λ' = Λ⊙s, cst += Σ Λ t), with s and t rounded to nearest f32.
import type { AffineOp } from '../../network.js';
import type { GpuOpRule } from './rule.js';
import { unaryInterval } from './unary.js';

export const affineRule: GpuOpRule<AffineOp> = {
  form: 'coordinatewise',
  upload(op, c) {
    c.g.weight = c.f32(op.scale);
    c.g.bias = c.f32(op.shift);
  },
  interval(_op, c) {
    unaryInterval('affine', c, c.L.weight!, c.L.bias!);
    return undefined;
  },
  backward(_op, c) {
    c.rowop('affine', c.L.outSize, c.L.weight!, c.L.bias!, c.x);
  },
  foldsSpec: true,
};
