// The GPU BoundEngine: splits the boxes into chunks sized from the device limits (memory stays
// bounded whatever the count), runs IBP or CROWN per chunk on the device, reads back the spec
// rows' bounds in float64 arrays. Networks or methods the kernels do not cover, and the rest of
// the work after a device loss, go to the CPU engine with one warning.
import type { Network } from '../network.js';
import { inputSize, outputSize, size } from '../network.js';
import type { BoundEngine, BoundOptions, BoundResult, Boxes, Spec } from '../bounds/types.js';
import { warnOnce } from '../errors.js';
import { GpuRuntime, GpuLostError } from './runtime.js';
import type { AdapterInfo } from './device.js';
import { describeAdapter } from './device.js';
import { uploadNetwork, type GpuNet } from './gpunet.js';
import { ChunkRun } from './propagate.js';
import { outwardBoxes, exactInF32 } from './fp.js';
import { checkErrorFree } from './fp-check.js';

export interface GpuEngineOptions {
  /** Upper limit on boxes per chunk (tests use it to force several chunks). */
  maxChunk?: number;
  /** Upper limit on backward rows per block (tests use it to force several blocks). */
  maxBlockRows?: number;
  /** Bytes of device memory one chunk may use (default: three quarters of maxBufferSize, at most 1 GiB). */
  memoryBudget?: number;
  /** Test hook: called after each chunk the device finished, with the number of boxes done. */
  onChunk?: (boxesDone: number, engine: GpuEngine) => void;
  /** The engine for what the kernels cannot run (default: the CPU engine; the browser page passes its Web Worker one). */
  cpuFallback?: () => BoundEngine;
}

const CPU_MODULE = '../bounds/index.js';

export class GpuEngine implements BoundEngine {
  readonly backend = 'gpu' as const;
  private nets = new WeakMap<Network, GpuNet>();
  private uploaded: GpuNet[] = [];
  private cpu: BoundEngine | null = null;
  private lost = false;
  /** Why the device's arithmetic breaks the error bounds (fp-check.ts), null when it passed; checked once. */
  private arithmetic: Promise<string | null> | undefined;

  constructor(readonly rt: GpuRuntime, readonly info: AdapterInfo, private opts: GpuEngineOptions = {}) {}

  describe(): string {
    return describeAdapter(this.info);
  }

  private prepared(net: Network): GpuNet {
    let g = this.nets.get(net);
    if (!g) {
      g = uploadNetwork(this.rt, net);
      this.nets.set(net, g);
      this.uploaded.push(g);
    }
    return g;
  }

  private async cpuEngine(): Promise<BoundEngine> {
    if (!this.cpu && this.opts.cpuFallback) this.cpu = this.opts.cpuFallback();
    if (!this.cpu) {
      const mod = (await import(CPU_MODULE)) as { CpuEngine: new () => BoundEngine };
      this.cpu = new mod.CpuEngine();
    }
    return this.cpu;
  }

  /** The largest buffer the pool hands out (it rounds sizes up to powers of two). */
  private perBuffer(): number {
    const lim = this.rt.limits;
    return Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize) / 2;
  }

  private budget(): number {
    return this.opts.memoryBudget ?? Math.min(this.rt.limits.maxBufferSize / 4 * 3, 2 ** 30);
  }

  /**
   * Boxes per chunk: every layer's bounds, V terms and relaxations stay on the device for the
   * chunk (about 7 floats per neuron and box), in half the budget; the backward passes' rows
   * go in blocks (blockRows) in the other half.
   */
  chunkSize(g: GpuNet): number {
    let perBox = 2 * inputSize(g.net), widest = 1;
    for (const L of g.layers) {
      perBox += 7 * L.outSize;
      widest = Math.max(widest, 4 * L.outSize);
    }
    const byBuffer = Math.floor(this.perBuffer() / (4 * widest));
    const byBudget = Math.floor(this.budget() / 2 / (4 * perBox));
    return Math.max(1, Math.min(byBuffer, byBudget, this.opts.maxChunk ?? Infinity));
  }

  /** Backward rows per block: two coefficient matrices of the widest layer each, in half the budget. */
  blockRows(g: GpuNet): number {
    let widest = inputSize(g.net);
    for (const L of g.layers) widest = Math.max(widest, L.inSize, L.outSize);
    const byBuffer = Math.floor(this.perBuffer() / (4 * widest));
    const byBudget = Math.floor(this.budget() / 2 / (4 * (2 * widest + 4)));
    return Math.max(2, Math.min(byBuffer, byBudget, this.opts.maxBlockRows ?? Infinity));
  }

  /** Backward rows the device ran since the engine was made (tests compare them with the CPU's). */
  readonly stats = { refineRows: 0, specRows: 0, backwardMacs: 0 };

  async bound(net: Network, boxes: Boxes, opts: BoundOptions): Promise<BoundResult> {
    const g = this.prepared(net);
    const method = opts.method;
    const outSize = outputSize(net);
    const spec = opts.spec;
    const rows = spec?.rows ?? outSize;
    const lower = new Float64Array(boxes.count * rows);
    const upper = new Float64Array(boxes.count * rows);
    const reason = method === 'crown' ? g.crownUnsupported : g.ibpUnsupported;
    if (!this.lost) {
      this.arithmetic ??= this.rt.scoped('the arithmetic check', () => checkErrorFree(this.rt)).catch((err: unknown) => {
        if (!(err instanceof GpuLostError)) throw err;
        this.lost = true; // as after a loss in a chunk: everything goes to the CPU engine
        return null;
      });
    }
    const broken = this.lost ? null : await this.arithmetic;
    if (reason || this.lost || broken) {
      if (reason) warnOnce(`the GPU engine cannot run ${method} on ${net.name}: ${reason}; using the CPU engine for it`);
      if (broken) warnOnce(`the GPU's f32 arithmetic breaks the error bounds (${broken}); using the CPU engine`);
      return (await this.cpuEngine()).bound(net, boxes, opts);
    }
    const n = inputSize(net);
    const chunk = this.chunkSize(g);
    const exactSpec = spec ? exactInF32(spec.c) : true;
    // no spec: the identity, shared by all boxes (exact in f32)
    const sharedC = spec ? (spec.shared ? spec.c : null) : identity(outSize);
    const sharedSpec = sharedC ? this.rt.upload(Float32Array.from(sharedC)) : null;
    try {
      for (let b0 = 0; b0 < boxes.count; b0 += chunk) {
        const b1 = Math.min(boxes.count, b0 + chunk);
        try {
          await this.rt.scoped(`${method} on ${net.name}`, async () => {
            await this.runChunk(g, method, boxes, b0, b1, n, rows, spec, sharedSpec, exactSpec, lower, upper);
          });
          this.opts.onChunk?.(b1, this);
        } catch (err) {
          if (!(err instanceof GpuLostError)) throw err;
          this.lost = true;
          warnOnce(`the GPU device was lost during ${method} on ${net.name} (${err.message}); finishing on the CPU engine`);
          await this.finishOnCpu(net, boxes, opts, b0, rows, lower, upper);
          break;
        }
      }
    } finally {
      if (sharedSpec && !this.lost) this.rt.release(sharedSpec);
    }
    return { lower, upper, rows };
  }

  private async runChunk(g: GpuNet, method: BoundOptions['method'], boxes: Boxes, b0: number, b1: number, n: number,
    rows: number, spec: Spec | undefined, sharedSpec: GPUBuffer | null, exactSpec: boolean,
    lower: Float64Array, upper: Float64Array): Promise<void> {
    const rt = this.rt;
    const count = b1 - b0;
    const { lo, hi } = outwardBoxes(boxes.lower, boxes.upper, b0 * n, b1 * n);
    const input = { lo: rt.upload(lo), hi: rt.upload(hi) };
    let specBuf: GPUBuffer | null = sharedSpec;
    if (spec && !spec.shared) {
      const w = rows * size([outputSize(g.net)]);
      specBuf = rt.upload(Float32Array.from(spec.c.subarray(b0 * w, b1 * w)));
    }
    const run = new ChunkRun(rt, g, count, input, this.blockRows(g));
    try {
      await run.run(method);
      const res = run.outputBounds(method, rows, { buf: specBuf!, shared: specBuf === sharedSpec }, exactSpec);
      const out = await rt.read(res, count * 2 * rows);
      this.stats.refineRows += run.stats.refineRows;
      this.stats.specRows += run.stats.specRows;
      this.stats.backwardMacs += run.stats.backwardMacs;
      for (let b = 0; b < count; b++) {
        for (let r = 0; r < rows; r++) {
          lower[(b0 + b) * rows + r] = out[b * 2 * rows + r];
          upper[(b0 + b) * rows + r] = -out[b * 2 * rows + rows + r];
        }
      }
    } finally {
      run.dispose();
      rt.release(input.lo, input.hi);
      if (specBuf && specBuf !== sharedSpec) rt.release(specBuf);
    }
  }

  private async finishOnCpu(net: Network, boxes: Boxes, opts: BoundOptions, b0: number, rows: number,
    lower: Float64Array, upper: Float64Array): Promise<void> {
    const n = inputSize(net);
    const rest: Boxes = { lower: boxes.lower.subarray(b0 * n), upper: boxes.upper.subarray(b0 * n), count: boxes.count - b0 };
    let spec = opts.spec;
    if (spec && !spec.shared) spec = { ...spec, c: spec.c.subarray(b0 * rows * outputSize(net)) };
    const res = await (await this.cpuEngine()).bound(net, rest, { ...opts, spec });
    lower.set(res.lower, b0 * rows);
    upper.set(res.upper, b0 * rows);
  }

  async dispose(): Promise<void> {
    if (!this.lost) {
      for (const g of this.uploaded) this.rt.release(...g.buffers);
    }
    this.uploaded = [];
    this.rt.destroy();
    await this.cpu?.dispose();
  }
}

function identity(m: number): Float64Array {
  const c = new Float64Array(m * m);
  for (let i = 0; i < m; i++) c[i * m + i] = 1;
  return c;
}
