// Walks a network's layers and writes its MILP: input box → linear ops as expressions,
// ReLU and MaxPool with binaries only where the bounds leave them undecided. Bounds of every
// layer are interval arithmetic over the columns made so far, intersected with the bounds
// the caller gives (CROWN from the bound engine), so the big-M values are the tightest known.
import { UserError } from '../../errors.js';
import type { Network } from '../../network.js';
import { INPUT, inputSize, layerInputShape, size } from '../../network.js';
import type { LayerBounds } from '../../bounds/types.js';
import type { Expr } from '../builder.js';
import { MilpBuilder } from '../builder.js';
import type { Box } from './input.js';
import { encodeInput } from './input.js';
import { encodeLinear, isLinear } from './linear.js';
import type { ReluStats } from './relu.js';
import { encodeRelu } from './relu.js';
import type { PoolStats } from './maxpool.js';
import { encodeMaxPool } from './maxpool.js';

export interface EncodeOptions {
  /** Bounds on each layer's output for this box (index = layer), e.g. from CROWN. */
  layerBounds?: readonly (LayerBounds | undefined)[];
}

export interface EncodedNetwork {
  builder: MilpBuilder;
  /** Input columns are 0 .. inputs−1. */
  inputs: number;
  outputs: Expr[];
  /** Bounds used for each layer's output. */
  lower: Float64Array[];
  upper: Float64Array[];
  relu: ReluStats;
  pool: PoolStats;
  /** Binary columns (unstable ReLUs + undecided max-pool candidates). */
  binaries: number;
}

export function encodeNetwork(net: Network, box: Box, opts: EncodeOptions = {}): EncodedNetwork {
  const b = new MilpBuilder();
  const n = inputSize(net);
  const input = encodeInput(b, box, n);
  const relu: ReluStats = { unstable: 0, active: 0, inactive: 0 };
  const pool: PoolStats = { windows: 0, decided: 0 };
  const consumers: string[][] = net.layers.map(() => []);
  net.layers.forEach((layer) => layer.inputs.forEach((src) => { if (src !== INPUT) consumers[src].push(layer.op.kind); }));
  const exprs: Expr[][] = [];
  const lower: Float64Array[] = [];
  const upper: Float64Array[] = [];
  const read = (src: number): Expr[] => (src === INPUT ? input : exprs[src]);
  const lowerOf = (src: number): Float64Array => (src === INPUT ? box.lower : lower[src]);
  const upperOf = (src: number): Float64Array => (src === INPUT ? box.upper : upper[src]);

  net.layers.forEach((layer, i) => {
    const { op } = layer;
    const src = layer.inputs[0];
    const x = read(src);
    let out: Expr[];
    if (op.kind === 'relu') {
      out = encodeRelu(b, x, lowerOf(src), upperOf(src), relu);
    } else if (op.kind === 'maxpool2d') {
      out = encodeMaxPool(b, op, x, layerInputShape(net, i), layer.shape, lowerOf(src), upperOf(src), pool);
    } else if (op.kind === 'sigmoid') {
      throw new UserError(`${net.name}: layer ${i} '${layer.name}' (sigmoid) is not supported by the MILP: only a final Sigmoid is (margins are then taken on its logit)`);
    } else if (isLinear(op)) {
      out = encodeLinear(b, op, x, layerInputShape(net, i), layer.shape, op.kind === 'add' ? read(layer.inputs[1]) : undefined);
    } else {
      throw new UserError(`${net.name}: layer ${i} '${layer.name}' (${(op as { kind: string }).kind}) is not supported by the MILP`);
    }
    const m = size(layer.shape);
    const lo = new Float64Array(m), hi = new Float64Array(m);
    const given = opts.layerBounds?.[i];
    for (let k = 0; k < m; k++) {
      let [l, u] = b.bounds(out[k]);
      if (given) {
        const gl = Math.max(l, given.lower[k]), gu = Math.min(u, given.upper[k]);
        // crossing bounds can only come from rounding; keep the interval's own then
        if (gl <= gu) { l = gl; u = gu; }
      }
      lo[k] = l; hi[k] = u;
    }
    // Weighted sums get a column of their own unless a ReLU reads them (its row x − s = Wx + b
    // carries them) or they are the output (objectives and constraints take expressions).
    const weighted = op.kind === 'dense' || op.kind === 'conv2d' || op.kind === 'avgpool2d' || op.kind === 'add';
    const onlyRelu = consumers[i].length > 0 && consumers[i].every((k) => k === 'relu');
    if (weighted && !onlyRelu && i < net.layers.length - 1) out = out.map((e, k) => b.materialise(e, lo[k], hi[k]));
    exprs.push(out);
    lower.push(lo);
    upper.push(hi);
  });
  return { builder: b, inputs: n, outputs: exprs[exprs.length - 1], lower, upper, relu, pool, binaries: b.binaries };
}
