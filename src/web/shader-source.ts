// The browser's copy of src/kernels/shader-source.ts (scripts/build-web.mjs swaps it in): the
// WGSL files of shaders/ inlined into the bundle at build time (the virtual module
// 'veribound:shaders'), so the page fetches no shader at run time and the kernels compile the
// very text the CLI's runtime reads from disk.
import shaders from 'veribound:shaders';

export function shaderSource(name: string): string {
  const s = shaders[name];
  if (s === undefined) throw new Error(`shader '${name}.wgsl' is not in the browser bundle (rebuild with npm run build:web)`);
  return s;
}
