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

export interface GpuEngineOptions {
  /** Upper limit on boxes per chunk (tests use it to force several chunks). */
  maxChunk?: number;
  /** Bytes of device memory one chunk may use (default: a quarter of maxBufferSize, at most 1 GiB). */
  memoryBudget?: number;
}

const CPU_MODULE = '../bounds/index.js';

export class GpuEngine implements BoundEngine {
  readonly backend = 'gpu' as const;
  private nets = new WeakMap<Network, GpuNet>();
  private uploaded: GpuNet[] = [];
  private cpu: BoundEngine | null = null;
  private lost = false;

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
    if (!this.cpu) {
      const mod = (await import(CPU_MODULE)) as { CpuEngine: new () => BoundEngine };
      this.cpu = new mod.CpuEngine();
    }
    return this.cpu;
  }

  /** Boxes per chunk so that the largest buffer and the chunk's total stay inside the limits. */
  chunkSize(g: GpuNet, method: string, rows: number): number {
    const lim = this.rt.limits;
    const perBuffer = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize) / 2; // pool rounds up to 2^k
    const budget = this.opts.memoryBudget ?? Math.min(lim.maxBufferSize / 4 * 3, 2 ** 30);
    let boundsFloats = 2 * inputSize(g.net);
    let maxRows = rows, maxWidth = 1;
    for (const L of g.layers) {
      boundsFloats += 3 * L.outSize;
      maxWidth = Math.max(maxWidth, L.inSize, L.outSize);
      if (method === 'crown') maxRows = Math.max(maxRows, L.outSize);
    }
    const lamFloats = 2 * maxRows * maxWidth;
    const perBox = boundsFloats + 2 * lamFloats + 4 * maxRows;
    const byBuffer = Math.floor(perBuffer / (4 * Math.max(lamFloats, ...g.layers.map((L) => L.outSize))));
    const byBudget = Math.floor(budget / (4 * perBox));
    return Math.max(1, Math.min(byBuffer, byBudget, this.opts.maxChunk ?? Infinity));
  }

  async bound(net: Network, boxes: Boxes, opts: BoundOptions): Promise<BoundResult> {
    const g = this.prepared(net);
    const method = opts.method;
    const outSize = outputSize(net);
    const spec = opts.spec;
    const rows = spec?.rows ?? outSize;
    const lower = new Float64Array(boxes.count * rows);
    const upper = new Float64Array(boxes.count * rows);
    const reason = method === 'crown' ? g.crownUnsupported : g.ibpUnsupported;
    if (reason || this.lost) {
      if (reason) warnOnce(`the GPU engine cannot run ${method} on ${net.name}: ${reason}; using the CPU engine for it`);
      return (await this.cpuEngine()).bound(net, boxes, opts);
    }
    const n = inputSize(net);
    const chunk = this.chunkSize(g, method, rows);
    const exactSpec = spec ? exactInF32(spec.c) : true;
    const sharedSpec = spec?.shared ? this.rt.upload(Float32Array.from(spec.c)) : null;
    try {
      for (let b0 = 0; b0 < boxes.count; b0 += chunk) {
        const b1 = Math.min(boxes.count, b0 + chunk);
        try {
          await this.rt.scoped(`${method} on ${net.name}`, async () => {
            await this.runChunk(g, method, boxes, b0, b1, n, rows, spec, sharedSpec, exactSpec, lower, upper);
          });
        } catch (err) {
          if (!(err instanceof GpuLostError)) throw err;
          this.lost = true;
          warnOnce(`the GPU device was lost (${err.message}); finishing on the CPU engine`);
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
    const run = new ChunkRun(rt, g, count, input);
    try {
      run.run(method);
      const res = run.outputBounds(method, rows, specBuf ? { buf: specBuf, shared: !!spec?.shared } : null, exactSpec);
      const out = await rt.read(res, count * 2 * rows);
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
