// IBP and CROWN for one chunk of boxes on the GPU: keeps every layer's bounds on the device,
// runs the forward interval steps (ibp_gemm, unary, gather, pool) and the backward passes
// (crown_init, rowops, back_gemm, gather), mirroring the CPU engine's definitions: CROWN
// bounds every pre-activation layer (the input of a ReLU) by a backward pass to the input and
// intersects it with IBP, then bounds the spec rows the same way.
import type { Spec, BoundMethod } from '../bounds/types.js';
import type { GpuRuntime } from './runtime.js';
import { params } from './runtime.js';
import type { GpuNet, GpuLayer } from './gpunet.js';
import { slackFactor, etaTerm } from './fp.js';

interface Bounds { lo: GPUBuffer; hi: GPUBuffer; v?: GPUBuffer }

const WG = 256;
const groups = (total: number) => Math.ceil(total / WG);

export class ChunkRun {
  private bounds: Bounds[] = [];
  private owned = new Set<GPUBuffer>();
  /** Bound to bindings a kernel's mode does not read (a buffer may not be bound read and read-write at once). */
  private dummy: GPUBuffer;
  /** Outputs per thread of the GEMM kernels (TM × TN). */
  readonly tile = { TM: 4, TN: 4 };
  constructor(private rt: GpuRuntime, private g: GpuNet, private count: number, private input: Bounds) {
    this.dummy = this.alloc(64);
  }

  private alloc(floats: number): GPUBuffer {
    const b = this.rt.buffer(Math.max(4, floats * 4));
    this.owned.add(b);
    return b;
  }

  private inputOf(k: number): Bounds {
    return k === 0 ? this.input : this.bounds[k - 1];
  }

  /** Interval step of layer k from the bounds of its input. */
  forward(k: number): void {
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
        rt.dispatch('ibp_gemm', { CONV: op.kind === 'conv2d', TM, TN },
          params(count, N, K, { f: slackFactor(K + 1) }, { f: etaTerm(K) }, ...conv),
          [x.lo, x.hi, L.weight!, L.bias!, y.lo, y.hi, y.v], tiles);
        break;
      }
      case 'relu':
      case 'sigmoid':
      case 'affine': {
        const OP = op.kind === 'relu' ? 0 : op.kind === 'affine' ? 1 : 2;
        const va = L.weight ?? x.lo, vb = L.bias ?? x.lo;
        rt.dispatch('unary', { OP }, params(total, nOut), [x.lo, x.hi, va, vb, y.lo, y.hi], groups(total));
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
        rt.dispatch('pool', { AVG: op.kind === 'avgpool2d' ? 1 : 0 },
          params(total, c, h, w, oh, ow, op.kernel[0], op.kernel[1], op.stride[0], op.stride[1], op.pads[0], op.pads[1], incl),
          [x.lo, x.hi, y.lo, y.hi], groups(total));
        break;
      }
      default:
        throw new Error(`the GPU engine has no interval kernel for ${op.kind}`);
    }
    this.bounds[k] = y;
  }

  /**
   * Backward pass from the output of layer `from` for `rows` functions per box (spec rows, or
   * the identity), lower and upper (as the negation) together: returns count × 2·rows lower
   * bounds, rows [rows, 2·rows) of each box being lower bounds of the negated functions.
   * `stop` is the layer whose input the pass is concretised over (0 = the input boxes).
   */
  backward(from: number, rows: number, spec: { buf: GPUBuffer; shared: boolean } | null, exactSpec: boolean, stop = 0): GPUBuffer {
    const { rt, count } = this;
    const layers = this.g.layers;
    const R = count * 2 * rows;
    let width = layers[from].outSize;
    let maxWidth = width;
    for (let k = from; k >= stop; k--) maxWidth = Math.max(maxWidth, layers[k].inSize);
    let lam = this.alloc(R * maxWidth);
    let spare = this.alloc(R * maxWidth);
    const cst = this.alloc(R);
    const out = this.alloc(R);
    rt.dispatch('crown_init', { MODE: spec ? (spec.shared ? 1 : 2) : 0 }, params(R * width, width, rows),
      [spec?.buf ?? this.dummy, lam, cst], groups(R * width));
    const rowop = (mode: number, n: number, va: GPUBuffer, vb: GPUBuffer, b: Bounds) => {
      rt.dispatch('rowops', { MODE: mode }, params(R, n, 2 * rows, { f: slackFactor(n) }, { f: etaTerm(n) }),
        [lam, cst, va, vb, b.lo, b.hi, out], Math.ceil(R / 64));
    };
    if (spec && !exactSpec) {
      // C was rounded to f32: Λ·1 leaves it as is and the AFFINE slack covers |C − fl32(C)|·|y|
      const ones = this.alloc(width), zeros = this.alloc(width);
      rt.device.queue.writeBuffer(ones, 0, new Float32Array(width).fill(1));
      rt.device.queue.writeBuffer(zeros, 0, new Float32Array(width));
      rowop(2, width, ones, zeros, this.bounds[from]);
    }
    for (let k = from; k >= stop; k--) {
      const L: GpuLayer = layers[k];
      const op = L.layer.op;
      const x = this.inputOf(k);
      switch (op.kind) {
        case 'dense':
          rowop(0, width, L.bias!, this.bounds[k].v!, x);
          rt.dispatch('back_gemm', this.tile, params(R, op.outFeatures, op.inFeatures), [lam, L.weight!, spare],
            Math.ceil(R / (16 * this.tile.TM)) * Math.ceil(op.inFeatures / (16 * this.tile.TN)));
          [lam, spare] = [spare, lam];
          break;
        case 'relu':
          rowop(1, width, this.dummy, this.dummy, x);
          break;
        case 'affine':
          rowop(2, width, L.weight!, L.bias!, x);
          break;
        case 'reshape':
          break;
        case 'permute':
        case 'pad':
          rt.dispatch('gather', {}, params(R * L.inSize, L.inSize, L.outSize), [lam, L.backIdx!, spare], groups(R * L.inSize));
          [lam, spare] = [spare, lam];
          break;
        default:
          throw new Error(`the GPU engine has no CROWN kernel for ${op.kind}`);
      }
      width = L.inSize;
    }
    rowop(3, width, this.dummy, this.dummy, this.inputOf(stop));
    this.free(lam, spare, cst);
    return out;
  }

  /** Tightens layer k's bounds with a backward pass from it (identity rows). */
  refine(k: number): void {
    const n = this.g.layers[k].outSize;
    const res = this.backward(k, n, null, true);
    const b = this.bounds[k];
    this.rt.dispatch('intersect', {}, params(this.count * n, n), [res, b.lo, b.hi], groups(this.count * n));
    this.free(res);
  }

  /** All layers' bounds with the given method. */
  run(method: BoundMethod): void {
    const layers = this.g.layers;
    for (let k = 0; k < layers.length; k++) {
      this.forward(k);
      const next = layers[k + 1]?.layer.op.kind;
      if (method === 'crown' && next === 'relu') this.refine(k);
    }
  }

  /**
   * Lower and negated-upper bounds of the spec rows (or of the outputs): CROWN by a backward
   * pass to the input; IBP by folding C into the last layer when it is Dense (a backward step
   * through it, concretised over its input bounds), else over the output bounds.
   */
  outputBounds(method: BoundMethod, rows: number, spec: { buf: GPUBuffer; shared: boolean } | null, exactSpec: boolean): GPUBuffer {
    const last = this.g.layers.length - 1;
    if (method === 'crown') return this.backward(last, rows, spec, exactSpec, 0);
    // C folded into a linear last layer (as the CPU engine does); conv/pool/σ: over y itself
    const foldable = ['dense', 'affine', 'reshape', 'permute', 'pad'].includes(this.g.layers[last].layer.op.kind);
    const stop = foldable ? last : last + 1;
    return this.backward(last, rows, spec, exactSpec, stop);
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
