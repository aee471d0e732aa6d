// The MILP encoder registry: one encoder per op kind (see encoder.ts for the contract). The
// mapped type makes the compiler refuse a new op kind until it is given an encoder, or an
// entry { support: 'none', why } saying that no sound one exists.
import type { Network, Op, OpKind } from '../../../network.js';
import type { OpEncoder } from './encoder.js';
import { denseEncoder } from './dense.js';
import { conv2dEncoder } from './conv2d.js';
import { reluEncoder } from './relu.js';
import { sigmoidEncoder } from './sigmoid.js';
import { maxpoolEncoder } from './maxpool.js';
import { avgpoolEncoder } from './avgpool.js';
import { padEncoder } from './pad.js';
import { affineEncoder } from './affine.js';
import { permuteEncoder } from './permute.js';
import { reshapeEncoder } from './reshape.js';
import { addEncoder } from './add.js';

const encoders: { readonly [K in OpKind]: OpEncoder<Extract<Op, { kind: K }>> } = {
  dense: denseEncoder,
  conv2d: conv2dEncoder,
  relu: reluEncoder,
  sigmoid: sigmoidEncoder,
  maxpool2d: maxpoolEncoder,
  avgpool2d: avgpoolEncoder,
  pad: padEncoder,
  affine: affineEncoder,
  permute: permuteEncoder,
  reshape: reshapeEncoder,
  add: addEncoder,
};

export function encoderFor(op: Op): OpEncoder {
  return encoders[op.kind] as OpEncoder;
}

/** What the MILP can do with a network (as given: the caller strips a final sigmoid first if it encodes the logit). */
export type MilpSupport =
  /** Every layer's rows are exact: optima are exact, up to the solver's tolerances. */
  | { support: 'exact' }
  /** Some layers are relaxed: bounds are sound, points are candidates to replay. `how` per relaxed op kind. */
  | { support: 'relaxed'; how: string[] }
  /** Some layer cannot be encoded soundly; `why` names the first. */
  | { support: 'none'; why: string };

export function milpSupport(net: Network): MilpSupport {
  const how = new Set<string>();
  for (let i = 0; i < net.layers.length; i++) {
    const layer = net.layers[i];
    const enc = encoderFor(layer.op);
    if (enc.support === 'none') return { support: 'none', why: `layer ${i} '${layer.name}' (${layer.op.kind}): ${enc.why}` };
    if (enc.support === 'relaxed') how.add(enc.how);
  }
  return how.size ? { support: 'relaxed', how: [...how] } : { support: 'exact' };
}

export type { OpEncoder, EncodeCtx, EncodeStats, ReluStats, PoolStats, SigmoidStats } from './encoder.js';
