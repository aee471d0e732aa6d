// The operator registry: one rule per op kind (see rule.ts for the contract).
import type { Op, OpKind } from '../../network.js';
import type { OpRule } from './rule.js';
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
import { addRule } from './add.js';

const rules: { [K in OpKind]: OpRule<Extract<Op, { kind: K }>> } = {
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
  add: addRule,
};

export function ruleFor(op: Op): OpRule {
  return rules[op.kind] as OpRule;
}

export type { OpRule, RuleCtx, Rows } from './rule.js';
