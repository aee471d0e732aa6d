// WebGPU adapter and device acquisition (Dawn through the `webgpu` npm package). Prefers a
// hardware high-performance adapter; the software one (SwiftShader from Debian's chromium) is
// used only when asked for. Requests the adapter's larger limits so that big batches fit.
import fs from 'node:fs';
import os from 'node:os';

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
  isFallback: boolean;
}

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
let gpuObject: GPU | null | undefined;

/** Points the Vulkan loader at SwiftShader when no driver is configured (must run before create()). */
function prepareEnv(): void {
  const env = process.env;
  if (!env.VK_ICD_FILENAMES && !env.VK_DRIVER_FILES && !env.VK_ADD_DRIVER_FILES && fs.existsSync(SWIFTSHADER_ICD)) {
    env.VK_ADD_DRIVER_FILES = SWIFTSHADER_ICD;
  }
  // Debian's Mesa lavapipe is too old for Dawn: it would be skipped anyway, after Dawn prints a
  // multi-line warning on every run. Keep the loader from offering it unless the user chose drivers.
  if (!env.VK_LOADER_DRIVERS_DISABLE && !env.VK_LOADER_DRIVERS_SELECT) env.VK_LOADER_DRIVERS_DISABLE = '*lvp*';
  env.XDG_RUNTIME_DIR ??= os.tmpdir();
}

async function gpuEntry(): Promise<GPU | null> {
  if (gpuObject !== undefined) return gpuObject;
  prepareEnv();
  try {
    const mod = (await import('webgpu')) as unknown as { create(flags: string[]): GPU; globals: object };
    Object.assign(globalThis, mod.globals);
    gpuObject = mod.create([]);
  } catch {
    gpuObject = null; // no Dawn binary for this platform: same as no adapter
  }
  return gpuObject;
}

export function adapterInfo(adapter: GPUAdapter): AdapterInfo {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const vendor = String(info?.vendor ?? '');
  const architecture = String(info?.architecture ?? '');
  const description = String(info?.description || info?.device || '');
  const text = `${vendor} ${architecture} ${description}`.toLowerCase();
  const isFallback = Boolean(
    (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter || info?.isFallbackAdapter
      || /swiftshader|llvmpipe|lavapipe|software|warp/.test(text),
  );
  return { vendor, architecture, description, isFallback };
}

export function describeAdapter(a: AdapterInfo): string {
  return `gpu: ${a.vendor || '?'} / ${a.architecture || '?'} / ${a.description || '?'} (${a.isFallback ? 'software' : 'hardware'})`;
}

/** The best adapter: hardware high-performance first, then any (software included when allowed). */
export async function findAdapter(allowSoftware: boolean): Promise<GPUAdapter | null> {
  const gpu = await gpuEntry();
  if (!gpu) return null;
  const candidates: GPUAdapter[] = [];
  for (const opts of [{ powerPreference: 'high-performance' }, {}, { forceFallbackAdapter: true }] as GPURequestAdapterOptions[]) {
    try {
      const a = await gpu.requestAdapter(opts);
      if (a) candidates.push(a);
    } catch { /* an option the implementation does not know */ }
  }
  const hardware = candidates.find((a) => !adapterInfo(a).isFallback);
  if (hardware) return hardware;
  return allowSoftware ? candidates[0] ?? null : null;
}

export async function probeAdapter(): Promise<AdapterInfo | null> {
  const a = await findAdapter(true);
  return a ? adapterInfo(a) : null;
}

export async function hasHardwareGpu(): Promise<boolean> {
  return (await findAdapter(false)) !== null;
}

const WANTED_LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY',
] as const;

/** A device with the adapter's own (larger) limits for everything the kernels use. */
export async function openDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number>)[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  return adapter.requestDevice({ requiredLimits });
}
