// IBP and CROWN for one chunk of boxes on the GPU: keeps every layer's bounds on the device,
// runs the forward interval steps (each op's rule, ops/: ibp_gemm, unary, gather, pool; relax
// for CROWN) and the backward passes (backward.ts), mirroring the CPU engine
// (src/bounds/crown.ts): each layer read by a nonlinear op is tightened by backward passes of
// its selected neurons only (the unstable ones for ReLU inputs, src/kernels/gpunet.ts) and
// intersected with IBP, then the spec rows are bounded the same way. Rows go in blocks of at
// most `blockRows`, so memory stays bounded however many neurons are selected.
import type { Spec, BoundMethod } from '../bounds/types.js';
import type { GpuRuntime } from './runtime.js';
import { groups, params } from './runtime.js';
import type { GpuNet, GpuLayer } from './gpunet.js';
import { backwardPass, type Bounds, type Relax, type PassCtx } from './backward.js';
import { gpuRuleFor, isCpuOnly } from './ops/index.js';

export interface SpecBuf { buf: GPUBuffer; shared: boolean }

/** shaders/crown_init.wgsl's modes (its MODE constant): the spec's rows C shared by every box or per box, or ±e_j of selected neurons. */
const CROWN_INIT = { sharedSpec: 1, perBoxSpec: 2, selected: 3 } as const;

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
    const L = this.g.layers[k];
    const rule = gpuRuleFor(L.layer.op);
    if (isCpuOnly(rule)) throw new Error(`the GPU engine has no interval kernel for ${L.layer.op.kind} (${rule.cpuOnly})`);
    const total = this.count * L.outSize;
    const y: Bounds = { lo: this.alloc(total), hi: this.alloc(total) };
    const relax = rule.interval(L.layer.op, { rt: this.rt, L, count: this.count, x: this.inputOf(k), y, crown, tile: this.tile, dummy: this.dummy, alloc: (n) => this.alloc(n) });
    if (relax) this.relax[k] = relax;
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
        rt.dispatch('crown_init', { MODE: CROWN_INIT.selected }, params(R * n, n, 0, 0), [this.dummy, selBuf, lam, cst, rowBox], groups(R * n));
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
    const lastRule = gpuRuleFor(this.layers[last].layer.op);
    const foldable = !isCpuOnly(lastRule) && lastRule.foldsSpec;
    const stop = method === 'crown' ? 0 : foldable ? last : last + 1;
    const n = this.layers[last].outSize;
    const out = this.alloc(count * 2 * rows);
    const perBlock = Math.max(1, Math.floor(this.blockRows / (2 * rows)));
    for (let b0 = 0; b0 < count; b0 += perBlock) {
      const R = Math.min(perBlock, count - b0) * 2 * rows;
      const res = backwardPass(this, last, stop, R, (lam, cst, rowBox) => {
        rt.dispatch('crown_init', { MODE: spec.shared ? CROWN_INIT.sharedSpec : CROWN_INIT.perBoxSpec }, params(R * n, n, rows, b0), [spec.buf, this.dummy, lam, cst, rowBox], groups(R * n));
      }, !exactSpec);
      rt.copy(res, out, R * 4, 0, b0 * 2 * rows * 4);
      this.free(res);
      this.stats.specRows += R;
      this.stats.backwardMacs += R * this.passMacs(last, stop);
    }
    return out;
  }

  /** Multiply-adds of one backward row from layer `from` down to `stop` (the rules' macs: Dense and Conv2d). */
  private passMacs(from: number, stop: number): number {
    let m = 0;
    for (let k = from; k >= stop; k--) {
      const L = this.layers[k], rule = gpuRuleFor(L.layer.op);
      if (!isCpuOnly(rule)) m += rule.macs?.(L.layer.op, L) ?? 0;
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
