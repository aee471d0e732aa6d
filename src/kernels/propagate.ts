// IBP and CROWN for one chunk of boxes on the GPU: keeps every layer's bounds on the device,
// runs the forward interval steps (ibp_gemm, unary, gather, pool; relax for CROWN) and the
// backward passes (backward.ts), mirroring the CPU engine (src/bounds/crown.ts): each layer
// read by a nonlinear op is tightened by backward passes of its selected neurons only (the
// unstable ones for ReLU inputs, src/kernels/gpunet.ts) and intersected with IBP, then the
// spec rows are bounded the same way. Rows go in blocks of at most `blockRows`, so memory
// stays bounded however many neurons are selected.
import type { Spec, BoundMethod } from '../bounds/types.js';
import type { GpuRuntime } from './runtime.js';
import { params } from './runtime.js';
import type { GpuNet, GpuLayer } from './gpunet.js';
import { slackFactor, etaTerm, dotError, gamma, f32Up, GEMM_BLOCK, U32 } from './fp.js';
import { backwardPass, type Bounds, type Relax, type PassCtx } from './backward.js';

export interface SpecBuf { buf: GPUBuffer; shared: boolean }

const WG = 256;
const groups = (total: number) => Math.ceil(total / WG);

export class ChunkRun implements PassCtx {
  private bounds: Bounds[] = [];
  private relax: (Relax | undefined)[] = [];
  private owned = new Set<GPUBuffer>();
  /** Bound to bindings a kernel's mode does not read (a buffer may not be bound read and read-write at once). */
  readonly dummy: GPUBuffer;
  /** Outputs per thread of the GEMM kernels (TM × TN). */
  readonly tile = { TM: 4, TN: 4 };
  readonly layers: GpuLayer[];
  /** Backward rows run (tightening selected neurons; bounding the spec rows) and their multiply-adds. */
  readonly stats = { refineRows: 0, specRows: 0, backwardMacs: 0 };
  constructor(readonly rt: GpuRuntime, private g: GpuNet, private count: number, private input: Bounds, private blockRows: number) {
    this.layers = g.layers;
    this.dummy = this.alloc(64);
  }

  boundsOf(k: number): Bounds { return k < 0 ? this.input : this.bounds[k]; }
  relaxOf(k: number): Relax | undefined { return this.relax[k]; }

  alloc(floats: number): GPUBuffer {
    const b = this.rt.buffer(Math.max(4, floats * 4));
    this.owned.add(b);
    return b;
  }

  private inputOf(k: number): Bounds {
    return this.boundsOf(k - 1);
  }

  /** Interval step of layer k from the bounds of its input (and, for CROWN, its relaxation). */
  forward(k: number, crown = false): void {
    const { rt, count } = this;
    const L = this.g.layers[k];
    const op = L.layer.op;
    const x = this.inputOf(k);
    const nOut = L.outSize;
    const total = count * nOut;
    const y: Bounds = { lo: this.alloc(total), hi: this.alloc(total) };
    switch (op.kind) {
      case 'dense':
      case 'conv2d': {
        y.v = this.alloc(total);
        const K = op.kind === 'dense' ? op.inFeatures : op.inChannels * op.kernel[0] * op.kernel[1];
        const N = op.kind === 'dense' ? op.outFeatures : op.outChannels;
        let rows = count;
        let conv: number[] = new Array(11).fill(0);
        if (op.kind === 'conv2d') {
          const [c, h, w] = L.inShape;
          const [, oh, ow] = L.layer.shape;
          conv = [c, h, w, oh, ow, op.kernel[0], op.kernel[1], op.stride[0], op.stride[1], op.pads[0], op.pads[1]];
          rows = count * oh * ow;
        }
        const { TM, TN } = this.tile;
        const tiles = Math.ceil(rows / (16 * TM)) * Math.ceil(N / (16 * TN));
        // centre and radius sums: compensated dots of K terms; 4u: the f32 weights, bias and y = C + b
        // (ibp_gemm.wgsl); the magnitude A is a plain sum (K + 1 roundings per term)
        const g = slackFactor(dotError(GEMM_BLOCK, K) + 4 * U32, K + 1);
        rt.dispatch('ibp_gemm', { CONV: op.kind === 'conv2d', TM, TN, CB: GEMM_BLOCK },
          params(count, N, K, { f: g }, { f: etaTerm(K) }, { f: f32Up(2 * gamma(K + 2)) }, ...conv),
          [x.lo, x.hi, L.weight!, L.bias!, y.lo, y.hi, y.v], tiles);
        break;
      }
      case 'relu':
      case 'sigmoid':
      case 'affine': {
        const OP = op.kind === 'relu' ? 0 : op.kind === 'affine' ? 1 : 2;
        const va = L.weight ?? x.lo, vb = L.bias ?? x.lo;
        rt.dispatch('unary', { OP }, params(total, nOut), [x.lo, x.hi, va, vb, y.lo, y.hi], groups(total));
        if (crown && op.kind === 'sigmoid') {
          const r = { f: this.alloc(4 * total) };
          rt.dispatch('relax', { MODE: 1 }, params(total, ...new Array(11).fill(0)), [x.lo, x.hi, r.f, this.dummy], groups(total));
          this.relax[k] = r;
        }
        break;
      }
      case 'reshape':
        rt.copy(x.lo, y.lo, total * 4);
        rt.copy(x.hi, y.hi, total * 4);
        break;
      case 'permute':
      case 'pad':
        for (const [s, d] of [[x.lo, y.lo], [x.hi, y.hi]]) {
          rt.dispatch('gather', {}, params(total, nOut, L.inSize), [s, L.fwdIdx!, d], groups(total));
        }
        break;
      case 'maxpool2d':
      case 'avgpool2d': {
        const [c, h, w] = L.inShape;
        const [, oh, ow] = L.layer.shape;
        const incl = op.kind === 'avgpool2d' && op.countIncludePad ? 1 : 0;
        const win = [c, h, w, oh, ow, op.kernel[0], op.kernel[1], op.stride[0], op.stride[1], op.pads[0], op.pads[1]];
        y.v = this.alloc(total);
        rt.dispatch('pool', { AVG: op.kind === 'avgpool2d' ? 1 : 0 }, params(total, ...win, incl),
          [x.lo, x.hi, y.lo, y.hi, y.v], groups(total));
        if (crown && op.kind === 'maxpool2d') {
          const r = { f: this.alloc(2 * total), idx: this.alloc(2 * total) };
          rt.dispatch('relax', { MODE: 0 }, params(total, ...win), [x.lo, x.hi, r.f, r.idx], groups(total));
          this.relax[k] = r;
        }
        break;
      }
      default:
        throw new Error(`the GPU engine has no interval kernel for ${op.kind}`);
    }
    this.bounds[k] = y;
  }

  /**
   * Tightens the selected neurons of layer k (tighten 'unstable': l < 0 < u; 'all': l < u), two
   * backward rows each (x_j and −x_j), in blocks; the selection is made on the host from the
   * layer's interval bounds, read back once.
   */
  async refine(k: number): Promise<void> {
    const { rt, count } = this;
    const L = this.layers[k];
    const n = L.outSize;
    const b = this.bounds[k];
    const lo = await rt.read(b.lo, count * n);
    const hi = await rt.read(b.hi, count * n);
    const sel = new Uint32Array(count * n);
    let m = 0;
    const unstable = L.tighten === 'unstable';
    for (let f = 0; f < count * n; f++) {
      if (unstable ? lo[f] < 0 && hi[f] > 0 : lo[f] < hi[f]) sel[m++] = f;
    }
    const per = Math.max(1, Math.floor(this.blockRows / 2));
    for (let s0 = 0; s0 < m; s0 += per) {
      const part = sel.subarray(s0, Math.min(m, s0 + per));
      const R = 2 * part.length;
      const selBuf = rt.upload(part);
      const res = backwardPass(this, k, 0, R, (lam, cst, rowBox) => {
        rt.dispatch('crown_init', { MODE: 3 }, params(R * n, n, 0, 0), [this.dummy, selBuf, lam, cst, rowBox], groups(R * n));
      });
      rt.dispatch('intersect', {}, params(part.length), [res, selBuf, b.lo, b.hi], groups(part.length));
      this.free(res);
      rt.release(selBuf);
      this.stats.refineRows += R;
      this.stats.backwardMacs += R * this.passMacs(k, 0);
    }
  }

  /** All layers' bounds with the given method. */
  async run(method: BoundMethod): Promise<void> {
    const crown = method === 'crown';
    for (let k = 0; k < this.layers.length; k++) {
      this.forward(k, crown);
      if (crown && this.layers[k].tighten !== 'none') await this.refine(k);
    }
  }

  /**
   * count × 2·rows lower bounds of the spec rows C (rows [rows, 2·rows) of each box: of −C):
   * CROWN by a backward pass to the input; IBP by folding C into the last layer when it is
   * linear (a backward step through it, concretised over its input bounds), else over the
   * output bounds. Boxes go in blocks of at most blockRows rows.
   */
  outputBounds(method: BoundMethod, rows: number, spec: SpecBuf, exactSpec: boolean): GPUBuffer {
    const { rt, count } = this;
    const last = this.layers.length - 1;
    // C folded into a linear last layer (as the CPU engine does); conv/pool/σ: over y itself
    const foldable = ['dense', 'affine', 'reshape', 'permute', 'pad'].includes(this.layers[last].layer.op.kind);
    const stop = method === 'crown' ? 0 : foldable ? last : last + 1;
    const n = this.layers[last].outSize;
    const out = this.alloc(count * 2 * rows);
    const perBlock = Math.max(1, Math.floor(this.blockRows / (2 * rows)));
    for (let b0 = 0; b0 < count; b0 += perBlock) {
      const R = Math.min(perBlock, count - b0) * 2 * rows;
      const res = backwardPass(this, last, stop, R, (lam, cst, rowBox) => {
        rt.dispatch('crown_init', { MODE: spec.shared ? 1 : 2 }, params(R * n, n, rows, b0), [spec.buf, this.dummy, lam, cst, rowBox], groups(R * n));
      }, !exactSpec);
      rt.copy(res, out, R * 4, 0, b0 * 2 * rows * 4);
      this.free(res);
      this.stats.specRows += R;
      this.stats.backwardMacs += R * this.passMacs(last, stop);
    }
    return out;
  }

  /** Multiply-adds of one backward row from layer `from` down to `stop` (Dense and Conv2d steps). */
  private passMacs(from: number, stop: number): number {
    let m = 0;
    for (let k = from; k >= stop; k--) {
      const op = this.layers[k].layer.op;
      if (op.kind === 'dense') m += op.inFeatures * op.outFeatures;
      if (op.kind === 'conv2d') m += this.layers[k].outSize * op.inChannels * op.kernel[0] * op.kernel[1];
    }
    return m;
  }

  layerBounds(k: number): Bounds { return this.bounds[k]; }

  free(...bufs: GPUBuffer[]): void {
    for (const b of bufs) {
      if (this.owned.delete(b)) this.rt.release(b);
    }
  }

  dispose(): void {
    this.rt.release(...this.owned);
    this.owned.clear();
  }
}

export type { Spec };
