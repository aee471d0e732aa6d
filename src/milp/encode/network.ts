// Walks a network's layers and writes its MILP: input box → each layer by its encoder from the
// registry (ops/index.ts): linear ops as expressions, ReLU and MaxPool with binaries only where
// the bounds leave them undecided, hidden sigmoids relaxed by lines. Bounds of every layer are
// interval arithmetic over the columns made so far, intersected with the bounds the caller
// gives (CROWN from the bound engine), so big-M values and relaxations are the tightest known.
// ReLU splits (a branch-and-bound domain: a neuron's input fixed ≥ 0 or ≤ 0) become rows on the
// pre-activation plus the clamped bound, so the neuron needs no binary: the model is then that
// of the domain, and every real point of the domain satisfies it (its bounds hold on the box).
import { UserError } from '../../errors.js';
import type { Network } from '../../network.js';
import { INPUT, inputSize, size } from '../../network.js';
import type { LayerBounds } from '../../bounds/types.js';
import type { Split } from '../../bounds/optimise/domains.js';
import type { Expr } from '../builder.js';
import { MilpBuilder } from '../builder.js';
import type { Box } from './input.js';
import { encodeInput } from './input.js';
import type { PoolStats, ReluStats, SigmoidStats } from './ops/index.js';
import { encoderFor } from './ops/index.js';

export interface EncodeOptions {
  /** Bounds on each layer's output for this box (index = layer), e.g. from CROWN. */
  layerBounds?: readonly (LayerBounds | undefined)[];
  /** ReLU splits (layer = the ReLU layer's index): the model of that domain only. */
  splits?: readonly Split[];
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
  sigmoid: SigmoidStats;
  /** Binary columns (unstable ReLUs + undecided max-pool candidates). */
  binaries: number;
  /**
   * False when some layer is relaxed (hidden sigmoids): the model still bounds every objective
   * soundly, but its optimum is only a bound and its points must be replayed before they count.
   */
  exact: boolean;
}

export function encodeNetwork(net: Network, box: Box, opts: EncodeOptions = {}): EncodedNetwork {
  const b = new MilpBuilder();
  const n = inputSize(net);
  const input = encodeInput(b, box, n);
  const stats = { relu: { unstable: 0, active: 0, inactive: 0 }, pool: { windows: 0, decided: 0 }, sigmoid: { relaxed: 0, rows: 0 } };
  let exact = true;
  const consumers: string[][] = net.layers.map(() => []);
  net.layers.forEach((layer) => layer.inputs.forEach((src) => { if (src !== INPUT) consumers[src].push(layer.op.kind); }));
  const exprs: Expr[][] = [];
  const lower: Float64Array[] = [];
  const upper: Float64Array[] = [];
  const read = (src: number): Expr[] => (src === INPUT ? input : exprs[src]);
  const shapeOf = (src: number) => (src === INPUT ? net.inputShape : net.layers[src].shape);
  const lowerOf = (src: number): Float64Array => (src === INPUT ? box.lower : lower[src]);
  const upperOf = (src: number): Float64Array => (src === INPUT ? box.upper : upper[src]);

  net.layers.forEach((layer, i) => {
    const { op } = layer;
    const src = layer.inputs[0];
    const enc = encoderFor(op);
    // callers check milpSupport first (a stage skips a network it cannot encode); this is the backstop
    if (enc.support === 'none') throw new UserError(`${net.name}: layer ${i} '${layer.name}' (${op.kind}) cannot be encoded in the MILP: ${enc.why}`);
    if (enc.support === 'relaxed') exact = false;
    let inLo = lowerOf(src), inHi = upperOf(src);
    const splits = op.kind === 'relu' ? opts.splits?.filter((s) => s.layer === i) : undefined;
    if (splits?.length) {
      inLo = inLo.slice(); inHi = inHi.slice();
      const pre = read(src);
      for (const s of splits) {
        if (s.active) { b.addRow(pre[s.neuron], 0, Infinity); inLo[s.neuron] = Math.max(inLo[s.neuron], 0); }
        else { b.addRow(pre[s.neuron], -Infinity, 0); inHi[s.neuron] = Math.min(inHi[s.neuron], 0); }
      }
    }
    let out = enc.encode(op, layer.inputs.map(read), {
      b, inShapes: layer.inputs.map(shapeOf), outShape: layer.shape, lower: inLo, upper: inHi, stats,
    });
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
    const onlyRelu = consumers[i].length > 0 && consumers[i].every((k) => k === 'relu');
    if (enc.weighted && !onlyRelu && i < net.layers.length - 1) out = out.map((e, k) => b.materialise(e, lo[k], hi[k]));
    exprs.push(out);
    lower.push(lo);
    upper.push(hi);
  });
  return { builder: b, inputs: n, outputs: exprs[exprs.length - 1], lower, upper, ...stats, binaries: b.binaries, exact };
}
