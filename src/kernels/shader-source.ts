// Where the runtime gets a kernel's WGSL text: shaders/<name>.wgsl in the package, read once per
// name by the runtime's cache. The browser build (scripts/build-web.mjs) swaps this module for
// src/web/shader-source.ts, which holds the same files inlined at build time.
import fs from 'node:fs';
import path from 'node:path';
import { shadersDir } from '../paths.js';

export function shaderSource(name: string): string {
  return fs.readFileSync(path.join(shadersDir, `${name}.wgsl`), 'utf8');
}
