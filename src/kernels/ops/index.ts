// The GPU operator registry: one rule per op kind (rule.ts), or the reason the op is left to the
// CPU engine. The mapped type makes the compiler ask for every kind of src/network.ts.
import type { Op, OpKind } from '../../network.js';
import type { CpuOnly, GpuOpRule } from './rule.js';
import { denseRule } from './dense.js';
import { conv2dRule } from './conv2d.js';
import { reluRule } from './relu.js';
import { sigmoidRule } from './sigmoid.js';
import { maxpoolRule } from './maxpool.js';
import { avgpoolRule } from './avgpool.js';
import { padRule } from './pad.js';
import { affineRule } from './affine.js';
import { permuteRule } from './permute.js';
import { reshapeRule } from './reshape.js';

const rules: { [K in OpKind]: GpuOpRule<Extract<Op, { kind: K }>> | CpuOnly } = {
  dense: denseRule,
  conv2d: conv2dRule,
  relu: reluRule,
  sigmoid: sigmoidRule,
  maxpool2d: maxpoolRule,
  avgpool2d: avgpoolRule,
  pad: padRule,
  affine: affineRule,
  permute: permuteRule,
  reshape: reshapeRule,
  // a layer with two inputs: the drivers run chains (one input each) only
  add: { cpuOnly: 'residual adds' },
};

/** The op's GPU rule, or why the GPU engine leaves it to the CPU. */
export function gpuRuleFor(op: Op): GpuOpRule | CpuOnly {
  return rules[op.kind] as GpuOpRule | CpuOnly;
}

export function isCpuOnly(r: GpuOpRule | CpuOnly): r is CpuOnly {
  return 'cpuOnly' in r;
}

export type { Bounds, Relax, RowOp, GpuOpRule } from './rule.js';
