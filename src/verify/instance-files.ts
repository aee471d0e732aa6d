// Where `veribound run` keeps each instance's files in --results-dir, named from the instance
// itself (not its row number), so that `run --resume`, --filter and `veribound check` all find
// the same files for the same (onnx, vnnlib) pair whatever order the rows were answered in.
import crypto from 'node:crypto';
import path from 'node:path';

/** e.g. "test_sat__test_prop__1a2b3c4d": readable names, and a hash of the full paths against clashes. */
export function instanceStem(onnx: string, vnnlib: string): string {
  const part = (p: string) => path.basename(p).replace(/\.(onnx|vnnlib)(\.gz)?$/i, '').replace(/[^\w.-]+/g, '_').slice(0, 60);
  const hash = crypto.createHash('sha1').update(`${onnx}\n${vnnlib}`).digest('hex').slice(0, 8);
  return `${part(onnx)}__${part(vnnlib)}__${hash}`;
}

export function instanceFiles(dir: string, onnx: string, vnnlib: string): { result: string; summary: string; log: string } {
  const stem = path.join(dir, instanceStem(onnx, vnnlib));
  return { result: `${stem}.result`, summary: `${stem}.json`, log: `${stem}.log` };
}
