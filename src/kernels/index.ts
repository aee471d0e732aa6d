// The WebGPU bound engine's public surface (see engine.ts, and shaders/ for the kernels).
import type { BoundEngine } from '../bounds/types.js';
import { findAdapter, openDevice, adapterInfo, probeAdapter, hasHardwareGpu, describeAdapter, type AdapterInfo } from './device.js';
import { GpuRuntime } from './runtime.js';
import { GpuEngine, type GpuEngineOptions } from './engine.js';

export { probeAdapter, hasHardwareGpu, describeAdapter, GpuEngine };
export type { AdapterInfo, GpuEngineOptions };

/**
 * A GPU engine on the best adapter, or null when there is none (or only a software one and
 * allowSoftware is false). Call dispose() when done so that the process can exit.
 */
export async function createGpuEngine(opts: { allowSoftware?: boolean } & GpuEngineOptions = {}): Promise<BoundEngine | null> {
  const adapter = await findAdapter(opts.allowSoftware ?? false);
  if (!adapter) return null;
  const device = await openDevice(adapter);
  return new GpuEngine(new GpuRuntime(device), adapterInfo(adapter), opts);
}
