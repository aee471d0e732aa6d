// The WebGPU runtime every kernel program uses: pipeline cache (one compiled pipeline per
// shader + constants), a pool of storage buffers reused by size class (no allocation storm per
// batch), one ring of uniform parameters, batched command submission, readback, and error
// scopes that turn validation / out-of-memory errors into messages naming the kernel.
// The WGSL text comes from shader-source.ts (files on Node; the browser build swaps in an inlined copy).
import { shaderSource } from './shader-source.js';

export type Consts = Record<string, number | boolean>;
/** A kernel names the shared snippets it needs (shaders/<snippet>.wgsl) on a line `// include: a b`. */
const INCLUDE = /^\/\/ include:(.*)$/m;
const PARAM_SLOT = 256; // minUniformBufferOffsetAlignment
const PARAM_SLOTS = 512;

export class GpuLostError extends Error {}

export class GpuRuntime {
  readonly device: GPUDevice;
  lostReason: string | null = null;
  private disposed = false;
  private pipelines = new Map<string, GPUComputePipeline>();
  private free = new Map<number, GPUBuffer[]>();
  private sizes = new WeakMap<GPUBuffer, number>();
  private sources = new Map<string, string>();
  private params: GPUBuffer;
  private paramCursor = 0;
  private encoder: GPUCommandEncoder | null = null;
  private uncaptured: string | null = null;

  constructor(device: GPUDevice) {
    this.device = device;
    this.params = device.createBuffer({ size: PARAM_SLOT * PARAM_SLOTS, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    // 'destroyed' is a loss too unless we destroyed it ourselves (dispose): a test hook or a
    // driver may end the device from outside
    device.lost.then((info) => { if (!this.disposed) this.lostReason = info.message || String(info.reason); });
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => { this.uncaptured ??= ev.error.message; };
  }

  get limits(): GPUSupportedLimits { return this.device.limits; }

  private source(name: string): string {
    let s = this.sources.get(name);
    if (s === undefined) {
      s = shaderSource(name);
      this.sources.set(name, s);
    }
    return s;
  }

  /**
   * Compiled pipeline for shaders/<name>.wgsl with `const` declarations prepended (specialisation),
   * then common.wgsl and the snippets the kernel includes (module-scope WGSL may be used before
   * it is declared, so a snippet may read the kernel's own `p` and buffers).
   */
  pipeline(name: string, consts: Consts = {}): GPUComputePipeline {
    const key = `${name}|${JSON.stringify(consts)}`;
    let p = this.pipelines.get(key);
    if (!p) {
      const header = Object.entries(consts)
        .map(([k, v]) => (typeof v === 'boolean' ? `const ${k}: bool = ${v};` : Number.isInteger(v) ? `const ${k}: u32 = ${v}u;` : `const ${k}: f32 = ${v};`))
        .join('\n');
      const main = this.source(name);
      const snippets = (INCLUDE.exec(main)?.[1].trim().split(/\s+/) ?? []).filter(Boolean).map((n) => this.source(n));
      const code = [header, this.source('common'), ...snippets, main].join('\n');
      const module = this.device.createShaderModule({ code, label: name });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: name });
      this.pipelines.set(key, p);
    }
    return p;
  }

  /** A storage buffer of at least `bytes` (size classes of powers of two), from the pool when possible. */
  buffer(bytes: number): GPUBuffer {
    const cls = Math.max(256, 2 ** Math.ceil(Math.log2(Math.max(bytes, 4))));
    if (cls > this.device.limits.maxStorageBufferBindingSize && bytes <= this.device.limits.maxStorageBufferBindingSize) {
      return this.exact(bytes);
    }
    const list = this.free.get(cls);
    const b = list?.pop();
    if (b) return b;
    const buf = this.device.createBuffer({ size: cls, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    this.sizes.set(buf, cls);
    return buf;
  }

  private exact(bytes: number): GPUBuffer {
    const size = Math.ceil(bytes / 4) * 4;
    const buf = this.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    this.sizes.set(buf, size);
    return buf;
  }

  /** Gives a buffer back to the pool (queue order makes reuse by later commands safe). */
  release(...bufs: (GPUBuffer | null | undefined)[]): void {
    for (const b of bufs) {
      if (!b) continue;
      const cls = this.sizes.get(b)!;
      let list = this.free.get(cls);
      if (!list) this.free.set(cls, (list = []));
      list.push(b);
    }
  }

  /** Drops pooled buffers (after a network is done; the pool otherwise keeps its peak). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
  }

  upload(data: Float32Array | Int32Array | Uint32Array): GPUBuffer {
    // writeBuffer runs on the queue at once: commands still being recorded may read this pooled
    // buffer under an earlier use, so they are submitted first
    this.flush();
    const buf = this.buffer(Math.max(4, data.byteLength));
    if (data.byteLength) this.device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, data.byteLength);
    return buf;
  }

  private enc(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder();
    return this.encoder;
  }

  /**
   * Records one dispatch of `groups` workgroups (spread over x and y when above the per-dimension
   * limit; shaders read the linear group id as wid.x + wid.y * nwg.x). `params` are 32-bit words
   * (u32, or f32 bit patterns written through a Float32Array view) bound at binding 0.
   */
  dispatch(name: string, consts: Consts, params: ArrayBuffer, buffers: GPUBuffer[], groups: number): void {
    if (this.lostReason) throw new GpuLostError(this.lostReason);
    if (groups <= 0) return;
    if (this.paramCursor >= PARAM_SLOTS) this.flush();
    const offset = this.paramCursor++ * PARAM_SLOT;
    this.device.queue.writeBuffer(this.params, offset, params);
    const pipe = this.pipeline(name, consts);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.params, offset, size: params.byteLength } }];
    buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
    const bind = this.device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries });
    const maxX = this.device.limits.maxComputeWorkgroupsPerDimension;
    const gx = Math.min(groups, maxX);
    const gy = Math.ceil(groups / gx);
    const pass = this.enc().beginComputePass();
    pass.setPipeline(pipe);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(gx, gy);
    pass.end();
  }

  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    if (bytes > 0) this.enc().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  flush(): void {
    if (this.encoder) {
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = null;
    }
    this.paramCursor = 0;
  }

  /** Reads `count` floats from a buffer (submits everything recorded so far). */
  async read(buf: GPUBuffer, count: number, offsetFloats = 0): Promise<Float32Array> {
    const bytes = count * 4;
    const staging = this.device.createBuffer({ size: Math.max(4, bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.copy(buf, staging, bytes, offsetFloats * 4);
    this.flush();
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (err) {
      staging.destroy();
      if (this.lostReason) throw new GpuLostError(this.lostReason);
      throw err;
    }
    const out = new Float32Array(staging.getMappedRange().slice(0, bytes));
    staging.unmap();
    staging.destroy();
    return out;
  }

  /** Runs `fn` inside validation and out-of-memory error scopes; an error becomes one message naming `what`. */
  async scoped<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    let result: T;
    try {
      result = await fn();
    } finally {
      this.flush();
      const validation = await this.device.popErrorScope();
      const oom = await this.device.popErrorScope();
      if (this.lostReason) throw new GpuLostError(this.lostReason);
      if (oom) throw new Error(`GPU out of memory in ${what}: ${oom.message} (try fewer boxes per batch)`);
      if (validation) throw new Error(`GPU validation error in ${what}: ${validation.message}`);
      if (this.uncaptured) throw new Error(`GPU error in ${what}: ${this.uncaptured}`);
    }
    return result;
  }

  destroy(): void {
    this.disposed = true;
    this.trim();
    this.params.destroy();
    this.device.destroy();
  }
}

/** Workgroups for one thread per element of `total`, for the kernels with @workgroup_size(256). */
export const groups = (total: number) => Math.ceil(total / 256);

/** Packs parameter words: integers as u32, `{ f: x }` as an f32 bit pattern. */
export function params(...words: (number | { f: number })[]): ArrayBuffer {
  const buf = new ArrayBuffer(Math.max(16, Math.ceil(words.length / 4) * 16));
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  words.forEach((w, i) => {
    if (typeof w === 'number') u[i] = w >>> 0;
    else f[i] = w.f;
  });
  return buf;
}
