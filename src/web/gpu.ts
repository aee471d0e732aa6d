// WebGPU in the page: the browser's own navigator.gpu (Dawn inside Chrome and Edge, WebKit's in
// Safari) instead of the `webgpu` npm package, then the very GpuRuntime and GpuEngine the CLI
// runs (same WGSL, same outward rounding of the float32 results, so the same verified counts).
// Prefers a hardware adapter; reports a software one (SwiftShader, WARP) as a fallback.
import type { BoundEngine } from '../bounds/types.js';
import { adapterInfo, openDevice, type AdapterInfo } from '../kernels/device.js';
import { GpuRuntime } from '../kernels/runtime.js';
import { GpuEngine } from '../kernels/engine.js';

export interface BrowserAdapter {
  adapter: GPUAdapter;
  info: AdapterInfo;
}

/** The best adapter the browser offers, or why there is none (one line for the page). */
export async function findBrowserAdapter(): Promise<BrowserAdapter | string> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return 'this browser has no WebGPU (navigator.gpu is missing)';
  const found: GPUAdapter[] = [];
  for (const opts of [{ powerPreference: 'high-performance' }, {}] as GPURequestAdapterOptions[]) {
    try {
      const a = await gpu.requestAdapter(opts);
      if (a) found.push(a);
    } catch { /* an option this browser does not know */ }
  }
  if (!found.length) return 'WebGPU is there but the browser offers no adapter (blocklisted GPU or disabled)';
  const best = found.find((a) => !adapterInfo(a).isFallback) ?? found[0];
  return { adapter: best, info: adapterInfo(best) };
}

/** A GPU engine on that adapter; what the kernels cannot run goes to `cpuFallback`. */
export async function createBrowserGpuEngine(a: BrowserAdapter, cpuFallback: () => BoundEngine): Promise<GpuEngine> {
  const device = await openDevice(a.adapter);
  return new GpuEngine(new GpuRuntime(device), a.info, { cpuFallback });
}
