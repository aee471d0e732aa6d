// Picks the bound engine for --backend: 'auto' = a hardware GPU when the WebGPU module finds
// one, else the CPU engine (said once on stderr: a missing GPU is not an error); 'gpu' = any
// WebGPU adapter, the software one (SwiftShader) included; 'cpu' = the float64 CPU engine.
// The WebGPU module is imported lazily, so `--backend cpu` never loads Dawn.
import { UserError } from './errors.js';
import type { BoundEngine } from './bounds/types.js';
import { CpuEngine } from './bounds/index.js';

export type Backend = 'auto' | 'gpu' | 'cpu';
export const BACKENDS: readonly Backend[] = ['auto', 'gpu', 'cpu'];

type GpuModule = typeof import('./kernels/index.js');

export function parseBackend(value: string | undefined): Backend {
  const v = (value ?? 'auto').trim();
  if ((BACKENDS as readonly string[]).includes(v)) return v as Backend;
  throw new UserError(`--backend '${v}': expected one of ${BACKENDS.join(', ')}`);
}

/** The WebGPU module, or why it cannot load (e.g. Dawn's native library missing on this platform). */
async function loadGpuModule(): Promise<GpuModule | string> {
  try {
    return await import('./kernels/index.js');
  } catch (err) {
    return `the WebGPU module did not load (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
}

export function createCpuEngine(threads?: number): BoundEngine {
  return new CpuEngine(threads === undefined ? {} : { threads });
}

export interface SelectOptions {
  /** Where the one-line notice goes (default: stderr). */
  log?: (line: string) => void;
  /** CPU engine threads (default: every core). */
  threads?: number;
}

export async function selectEngine(backend: Backend, opts: SelectOptions = {}): Promise<BoundEngine> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`veribound: ${line}\n`));
  if (backend === 'cpu') return createCpuEngine(opts.threads);
  const gpu = await loadGpuModule();
  if (backend === 'gpu') {
    if (typeof gpu === 'string') throw new UserError(`--backend gpu: ${gpu}; use --backend cpu or auto`);
    const engine = await gpu.createGpuEngine({ allowSoftware: true });
    if (!engine) throw new UserError('--backend gpu: no WebGPU adapter found, not even a software one (use --backend cpu or auto)');
    log(`backend gpu: ${engine.describe()}`);
    return engine;
  }
  // auto: only a hardware adapter beats the CPU engine; the software one is slower than it.
  let reason = typeof gpu === 'string' ? gpu : 'no hardware GPU';
  if (typeof gpu !== 'string') {
    try {
      const engine = (await gpu.hasHardwareGpu()) ? await gpu.createGpuEngine({ allowSoftware: false }) : null;
      if (engine) {
        log(`backend auto: using the GPU engine (${engine.describe()})`);
        return engine;
      }
    } catch (err) {
      reason = `the GPU engine failed to start (${err instanceof Error ? err.message : String(err)})`;
    }
  }
  const cpu = createCpuEngine(opts.threads);
  log(`backend auto: ${reason}, using the CPU engine (${cpu.describe()})`);
  return cpu;
}
