// The competition's result file: the answer on the first line and, for `sat`, the
// counterexample as an s-expression of (X_i value) then (Y_j value) pairs:
//   sat
//   ((X_0 0.1)
//    (X_1 0.2)
//    (Y_0 -1.5))
// Numbers are written with JavaScript's shortest round-trip form, so reading them back gives
// exactly the float64 point that was replayed.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { Answer, Counterexample } from './outcome.js';

export function formatResult(answer: Answer, cex?: Counterexample): string {
  if (answer !== 'sat') return `${answer}\n`;
  if (!cex) throw new Error('a sat result needs its counterexample');
  const pairs = [...Array.from(cex.x, (v, i) => `(X_${i} ${v})`), ...Array.from(cex.y, (v, j) => `(Y_${j} ${v})`)];
  return `sat\n(${pairs.join('\n ')})\n`;
}

/** Writes the file whole (through a temporary name), so that no half-written result is left. */
export function writeResultFile(file: string, answer: Answer, cex?: Counterexample): void {
  const text = formatResult(answer, cex);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (err) {
    try { fs.rmSync(tmp, { force: true }); } catch { /* nothing to clean */ }
    throw new UserError(`cannot write the result file ${file}: ${(err as Error).message}`);
  }
}

/** Reads a result file back (for tests and for `run`'s own checks). */
export function parseResult(text: string): { answer: string; x: number[]; y: number[] } {
  const lines = text.trim().split('\n');
  const answer = (lines[0] ?? '').trim();
  const x: number[] = [], y: number[] = [];
  const re = /\(([XY])_(\d+)\s+([^()\s]+)\)/g;
  for (const m of lines.slice(1).join('\n').matchAll(re)) (m[1] === 'X' ? x : y)[Number(m[2])] = Number(m[3]);
  return { answer, x, y };
}
