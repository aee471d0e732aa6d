// Network arguments: a bundled model name (models/<name>.onnx, shipped with the package)
// or a path to an ONNX file.
import fs from 'node:fs';
import path from 'node:path';
import { modelsDir } from './paths.js';
import { UserError, warnOnce } from './errors.js';
import { loadOnnxFile } from './onnx/load.js';
import type { Network } from './network.js';

/** Names of the bundled models (models/*.onnx without the extension), sorted. */
export function bundledModels(): string[] {
  let files: string[];
  try {
    files = fs.readdirSync(modelsDir);
  } catch {
    return [];
  }
  return files.filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -'.onnx'.length)).sort();
}

/** The file a --net argument means: a bundled name, else a path (missing paths are reported when loaded). */
export function resolveNetworkPath(nameOrPath: string): string {
  if (!nameOrPath) throw new UserError(`no network given (a path to an ONNX file or a bundled name: ${bundledModels().join(', ') || 'none'})`);
  if (bundledModels().includes(nameOrPath)) return path.join(modelsDir, `${nameOrPath}.onnx`);
  if (fs.existsSync(nameOrPath) || /[\\/]/.test(nameOrPath) || /\.onnx$/i.test(nameOrPath)) return nameOrPath;
  throw new UserError(`'${nameOrPath}' is neither an ONNX file nor a bundled model (bundled: ${bundledModels().join(', ') || 'none'})`);
}

/** Loads and validates a network by bundled name or path; its load warnings are printed once. */
export function loadNetwork(nameOrPath: string): Network {
  const file = resolveNetworkPath(nameOrPath);
  const net = loadOnnxFile(file);
  if (file !== nameOrPath) net.name = nameOrPath;
  for (const w of net.warnings) warnOnce(w);
  return net;
}
