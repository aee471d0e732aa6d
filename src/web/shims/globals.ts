// The two Node globals that shared modules touch on paths the page does take, injected into the
// browser bundle by esbuild (`inject`): `process.stderr.write` (warnOnce's warnings, e.g. "the GPU
// engine cannot run crown on this network; using the CPU engine") goes to the page's log through
// a 'veribound-log' event, and `Buffer.from(text, 'base64')` (the WebAssembly GEMM kernel's bytes,
// src/bounds/wasm/gemm.ts) decodes with atob, so the page's CPU engine runs the same SIMD kernel
// as the CLI's instead of falling back to the JS loops.
type LogTarget = { dispatchEvent?: (e: Event) => boolean; postMessage?: (m: unknown) => void };

function log(text: string): void {
  const line = text.replace(/\n$/, '');
  const g = globalThis as unknown as LogTarget & { document?: unknown };
  if (g.document && g.dispatchEvent) g.dispatchEvent(new CustomEvent('veribound-log', { detail: line }));
  else if (g.postMessage) g.postMessage({ kind: 'log', line }); // inside the CPU engine's Web Worker
}

export const process = {
  env: {} as Record<string, string | undefined>,
  stderr: { write: (s: string) => (log(String(s)), true) },
  stdout: { write: (s: string) => (log(String(s)), true) },
};

export const Buffer = {
  from(data: string, encoding?: string): Uint8Array {
    if (encoding !== 'base64') throw new Error(`Buffer.from(…, '${encoding}') is not available in the browser page`);
    const bin = atob(data);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  },
};
