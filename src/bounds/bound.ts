// The public CPU entry points: layer bounds (IBP or CROWN) and bounds of C·y, processed in
// chunks of boxes so that memory stays within a budget however many boxes are asked for.
import type { Network } from '../network.js';
import { INPUT, outputSize } from '../network.js';
import { UserError } from '../errors.js';
import type { BoundOptions, BoundResult, Boxes, LayerBounds, Spec } from './types.js';
import { checkBoxes, ctxOf, planOf, type NetPlan } from './plan.js';
import { ibpChunk } from './ibp.js';
import { crownChunk, tightenUpperFirst } from './crown.js';
import { backwardPass } from './backward.js';

/** CPU-only knobs (all optional; results do not depend on them). */
export interface CpuBoundOptions {
  /** Float64 memory one chunk may use (default 256 MiB). */
  memoryBudgetBytes?: number;
  /** Boxes per chunk (default: from the budget). */
  chunkBoxes?: number;
  /** Backward-pass rows per block (default: from the budget, at most 2048). */
  blockRows?: number;
  /** false: keep every backward row dense, no patch form (patches.ts); the same bounds up to rounding, slower on CNNs. */
  patches?: boolean;
  /**
   * false: CROWN computes every coefficient column and back-substitutes both rows of every
   * unstable neuron (the reference that live.ts and crown.ts's tightenUpperFirst are tested
   * against; the same bits, slower on networks with stably inactive ReLUs).
   */
  liveColumns?: boolean;
}

const DEFAULT_BUDGET = 256 * 1024 * 1024;
/** Most boxes per CROWN chunk of boundNetworkCpu (its per-box weight gatherings: about 0.2 MB a box on 256x6). */
const CROWN_CHUNK = 128;

function sizes(plan: NetPlan, count: number, o: CpuBoundOptions): { chunk: number; blockRows: number } {
  const budget = o.memoryBudgetBytes ?? DEFAULT_BUDGET;
  // bounds, interval scratch and relaxations: about six float64 arrays of every layer per box
  const chunk = o.chunkBoxes ?? Math.max(1, Math.floor(budget / (8 * 6 * plan.totalSize)));
  // a block holds about three coefficient matrices of the widest layer at once
  const blockRows = o.blockRows ?? Math.max(2, Math.min(2048, Math.floor(budget / (8 * 3 * plan.maxWidth))));
  return { chunk: Math.max(1, Math.min(chunk, count)), blockRows };
}

function sliceBoxes(plan: NetPlan, boxes: Boxes, start: number, count: number): LayerBounds {
  const n = plan.inSize;
  return { lower: boxes.lower.subarray(start * n, (start + count) * n), upper: boxes.upper.subarray(start * n, (start + count) * n) };
}

function layerBounds(net: Network, boxes: Boxes, o: CpuBoundOptions, chunkFn: (plan: NetPlan, input: LayerBounds, count: number, blockRows: number) => LayerBounds[]): LayerBounds[] {
  checkBoxes(net, boxes);
  const plan = planOf(net);
  const result = plan.layers.map((p) => ({ lower: new Float64Array(boxes.count * p.outSize), upper: new Float64Array(boxes.count * p.outSize) }));
  const { chunk, blockRows } = sizes(plan, boxes.count, o);
  for (let s = 0; s < boxes.count; s += chunk) {
    const c = Math.min(chunk, boxes.count - s);
    const got = chunkFn(plan, sliceBoxes(plan, boxes, s, c), c, blockRows);
    got.forEach((b, i) => {
      result[i].lower.set(b.lower, s * plan.layers[i].outSize);
      result[i].upper.set(b.upper, s * plan.layers[i].outSize);
    });
  }
  return result;
}

/** Interval bounds of every layer's output (index = layer index), count × size(layer.shape). */
export function ibpLayerBounds(net: Network, boxes: Boxes, o: CpuBoundOptions = {}): LayerBounds[] {
  return layerBounds(net, boxes, o, (plan, input, count) => ibpChunk(plan, input, count));
}

/**
 * Bounds of every layer's output where each layer read by a ReLU/Sigmoid/MaxPool, and the
 * output layer, is tightened by CROWN ∩ IBP (ReLU inputs: their unstable neurons).
 */
export function crownLayerBounds(net: Network, boxes: Boxes, o: CpuBoundOptions = {}): LayerBounds[] {
  return layerBounds(net, boxes, o, (plan, input, count, blockRows) => crownChunk(plan, input, count, blockRows, true, undefined, o.patches ?? true).bounds);
}

export function checkSpec(net: Network, spec: Spec, count: number): void {
  const want = (spec.shared ? 1 : count) * spec.rows * outputSize(net);
  if (!(spec.rows >= 1) || spec.c.length !== want) {
    throw new UserError(`${net.name}: spec has ${spec.c.length} coefficients for ${spec.rows} rows × ${outputSize(net)} outputs${spec.shared ? '' : ` × ${count} boxes`} (expected ${want})`);
  }
}

function identitySpec(m: number): Spec {
  const c = new Float64Array(m * m);
  for (let i = 0; i < m; i++) c[i * m + i] = 1;
  return { c, rows: m, shared: true };
}

/** Bounds of C·y (no spec: of y) for every box, by IBP (C folded into a linear last layer) or CROWN. */
export function boundNetworkCpu(net: Network, boxes: Boxes, opts: BoundOptions & CpuBoundOptions): BoundResult {
  if (opts.method !== 'ibp' && opts.method !== 'crown') throw new UserError(`unknown bound method '${String(opts.method)}' (expected ibp or crown)`);
  checkBoxes(net, boxes);
  const plan = planOf(net);
  const m = outputSize(net);
  const spec = opts.spec ?? identitySpec(m);
  checkSpec(net, spec, boxes.count);
  const rows = spec.rows;
  const lower = new Float64Array(boxes.count * rows);
  const upper = new Float64Array(boxes.count * rows);
  const sz = sizes(plan, boxes.count, opts);
  const { blockRows } = sz;
  // CROWN keeps per-box gatherings of the weights while a chunk is bounded (live.ts): a bounded chunk
  const chunk = opts.method === 'crown' && opts.chunkBoxes === undefined ? Math.min(sz.chunk, CROWN_CHUNK) : sz.chunk;
  const last = plan.layers.length - 1;
  for (let s = 0; s < boxes.count; s += chunk) {
    const count = Math.min(chunk, boxes.count - s);
    const input = sliceBoxes(plan, boxes, s, count);
    // Rows for box b: spec row k as a lower-bound row (S·k) and, unless lowerOnly, its negation (2k+1).
    const S = opts.lowerOnly ? 1 : 2;
    const cap = Math.max(S * rows, blockRows - (blockRows % (S * rows)));
    let run: (A0: Float64Array, box: Int32Array, n: number) => Float64Array;
    if (opts.method === 'crown') {
      // only the output's bounds are read: stably inactive neurons need no lower row
      const live = opts.liveColumns ?? true;
      const { state } = crownChunk(plan, input, count, blockRows, false, undefined, opts.patches ?? true, live ? tightenUpperFirst : undefined, live);
      run = (A0, box, n) => backwardPass(state, last, A0, { n, box, bias: new Float64Array(n) });
    } else {
      const bounds = ibpChunk(plan, input, count);
      run = (A0, box, n) => foldLast(plan, bounds, input, count, A0, box, n);
    }
    for (let b0 = 0; b0 < count; b0 += cap / (S * rows)) {
      const nb = Math.min(cap / (S * rows), count - b0);
      const n = nb * S * rows;
      const A0 = new Float64Array(n * m);
      const box = new Int32Array(n);
      for (let b = 0; b < nb; b++) {
        const cOff = spec.shared ? 0 : (s + b0 + b) * rows * m;
        for (let k = 0; k < rows; k++) {
          const r = (b * rows + k) * S;
          box.fill(b0 + b, r, r + S);
          for (let j = 0; j < m; j++) {
            const v = spec.c[cOff + k * m + j];
            A0[r * m + j] = v;
            if (S === 2) A0[(r + 1) * m + j] = -v;
          }
        }
      }
      const lb = run(A0, box, n);
      for (let b = 0; b < nb; b++) {
        for (let k = 0; k < rows; k++) {
          const r = (b * rows + k) * S, o = (s + b0 + b) * rows + k;
          lower[o] = lb[r];
          upper[o] = S === 2 ? -lb[r + 1] : Infinity;
        }
      }
    }
  }
  return { lower, upper, rows };
}

/**
 * IBP bounds of C·y as auto_LiRPA computes them: when the last layer is linear, C is folded
 * into it and the product is concretised over the interval of that layer's input(s); after a
 * nonlinear last layer, over the interval of y itself.
 */
function foldLast(plan: NetPlan, bounds: LayerBounds[], input: LayerBounds, count: number, A0: Float64Array, box: Int32Array, n: number): Float64Array {
  const last = plan.layers.length - 1;
  const p = plan.layers[last];
  const bias = new Float64Array(n);
  let parts: { A: Float64Array; b: LayerBounds; size: number }[];
  if (p.rule.nonlinear) parts = [{ A: A0, b: bounds[last], size: p.outSize }];
  else {
    const outs = p.rule.backward(p.op, A0, { n, box, bias }, ctxOf(p, count), undefined);
    parts = p.inputs.map((src, k) => ({ A: outs[k], b: src === INPUT ? input : bounds[src], size: p.inSizes[k] }));
  }
  const lb = bias;
  for (const { A, b, size } of parts) {
    for (let r = 0; r < n; r++) {
      const ao = r * size, xo = box[r] * size;
      let s = 0;
      for (let i = 0; i < size; i++) {
        const a = A[ao + i];
        const mid = (b.upper[xo + i] + b.lower[xo + i]) / 2, rad = (b.upper[xo + i] - b.lower[xo + i]) / 2;
        s += a * mid - Math.abs(a) * rad;
      }
      lb[r] += s;
    }
  }
  return lb;
}
