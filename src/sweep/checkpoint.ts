// The sweep's checkpoint: one JSON object per line, appended as facts are established, so an
// interrupted or crashed sweep loses at most the line being written (a torn last line is
// ignored on reading). `--resume FILE` reads it back and continues: decided pairs are never
// redone, and the facts carry over to a sweep with more samples, other epsilons or a larger
// budget, because every fact is stated as a monotone fact about an epsilon value:
//   bounds    method M verified the input at every eps ≤ verifiedEps, and did not (or a
//             counterexample exists) from notVerifiedEps on
//   cex       a replayed counterexample at eps (so at every larger eps), with its values
//   verified  the cascade proved the pair (so every smaller eps)
//   open      the cascade gave up on the pair (reason) within timeoutS: retried only with a
//             larger --timeout
//   attacked  the attack phase has searched the input over these epsilons (nothing more found)
// The header names the network (with a hash of its weights) and the data, so a checkpoint is
// never applied to another network or other inputs.
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import type { Network } from '../network.js';
import { UserError } from '../errors.js';

export interface CheckpointHeader {
  kind: 'veribound-sweep-checkpoint';
  version: 1;
  net: string;
  netHash: string;
  data: string;
}

export type Fact =
  | { t: 'bounds'; method: string; index: number; verifiedEps: number | null; notVerifiedEps: number | null }
  | { t: 'cex'; index: number; eps: number; by: string; timeS: number; x: number[] }
  | { t: 'verified'; index: number; eps: number; by: string; timeS: number }
  | { t: 'open'; index: number; eps: number; reason: string; timeS: number; timeoutS: number }
  | { t: 'attacked'; index: number; eps: number[] };

/** A hash of the network's layers and weights (a checkpoint belongs to one network). */
export function networkHash(net: Network): string {
  const h = createHash('sha256');
  for (const l of net.layers) {
    h.update(JSON.stringify({ kind: l.op.kind, shape: l.shape, inputs: l.inputs }));
    for (const v of Object.values(l.op)) {
      if (ArrayBuffer.isView(v)) h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    }
  }
  return h.digest('hex').slice(0, 16);
}

export function readCheckpoint(file: string, expect: Omit<CheckpointHeader, 'kind' | 'version'>): Fact[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`--resume ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const lines = text.split('\n');
  let header: CheckpointHeader | undefined;
  try {
    header = JSON.parse(lines[0]) as CheckpointHeader;
  } catch { /* reported below */ }
  if (header?.kind !== 'veribound-sweep-checkpoint') throw new UserError(`--resume ${file}: not a sweep checkpoint (its first line is not a veribound-sweep-checkpoint header)`);
  if (header.netHash !== expect.netHash) throw new UserError(`--resume ${file}: it is a checkpoint of network ${header.net} (${header.netHash}), not of ${expect.net} (${expect.netHash})`);
  if (header.data !== expect.data) throw new UserError(`--resume ${file}: it is a checkpoint on data ${header.data}, not ${expect.data}`);
  const facts: Fact[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    try {
      facts.push(JSON.parse(lines[i]) as Fact);
    } catch {
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim())) throw new UserError(`--resume ${file}: line ${i + 1} is not valid JSON`);
      // a torn last line (the sweep was killed while writing it): ignored
    }
  }
  return facts;
}

/** Appends facts to a checkpoint file; the header is written when the file is new or empty. */
export class CheckpointWriter {
  private fd: number;
  constructor(readonly file: string, header: Omit<CheckpointHeader, 'kind' | 'version'>) {
    try {
      const fresh = !fs.existsSync(file) || fs.statSync(file).size === 0;
      this.fd = fs.openSync(file, 'a');
      if (fresh) fs.writeSync(this.fd, JSON.stringify({ kind: 'veribound-sweep-checkpoint', version: 1, ...header }) + '\n');
      else {
        // a torn last line would glue onto the next fact: end it first
        const size = fs.fstatSync(this.fd).size;
        const last = Buffer.alloc(1);
        const rfd = fs.openSync(file, 'r');
        fs.readSync(rfd, last, 0, 1, size - 1);
        fs.closeSync(rfd);
        if (last[0] !== 0x0a) fs.writeSync(this.fd, '\n');
      }
    } catch (err) {
      throw new UserError(`--checkpoint ${file}: cannot write it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  write(facts: Fact[]): void {
    if (!facts.length) return;
    fs.writeSync(this.fd, facts.map((f) => JSON.stringify(f)).join('\n') + '\n');
  }
  close(): void {
    fs.closeSync(this.fd);
  }
}
