// The checks every JSON shard merge makes before it reads a row (sweep-shard.ts, attack-shard.ts):
// each file parses, is a shard file of the expected kind and version, finished (not partial),
// one of the same N, of the same job (the caller's `sameJob`: network, inputs, settings), no
// shard twice and none missing. Each failure is one line naming the file.
import { UserError } from '../errors.js';
import type { Shard } from './shard.js';

export interface ShardDoc {
  kind: string;
  version: number;
  shard: Shard;
  partial: boolean;
}

export interface ShardSetRules<D extends ShardDoc> {
  kind: string;
  /** The shard file's name and what shards of different jobs are, for messages: 'sweep'/'sweeps'. */
  name: string;
  plural: string;
  /** How to finish an interrupted shard, appended to its message. */
  partialHint: (d: D) => string;
  /** True when d and first are shards of the same job. */
  sameJob: (d: D, first: D) => boolean;
}

/** Parses and checks the files as the N complete shards of one job; returns them in the given order. */
export function checkShardSet<D extends ShardDoc>(files: string[], texts: string[], rules: ShardSetRules<D>): D[] {
  const docs = texts.map((t, i) => {
    try {
      return JSON.parse(t) as D;
    } catch (err) {
      throw new UserError(`merge: ${files[i]}: not valid JSON (${(err as Error).message})`);
    }
  });
  const first = docs[0];
  const seen = new Map<number, string>();
  docs.forEach((d, i) => {
    if (d.kind !== rules.kind || d.version !== 1) throw new UserError(`merge: ${files[i]}: not ${/^[aeiou]/.test(rules.name) ? 'an' : 'a'} ${rules.name} shard file of this version`);
    if (d.partial) throw new UserError(`merge: ${files[i]} (shard ${d.shard.k}/${d.shard.n}) was interrupted; ${rules.partialHint(d)}`);
    if (d.shard.n !== first.shard.n) throw new UserError(`merge: ${files[i]} is a shard of ${d.shard.n}, ${files[0]} of ${first.shard.n}`);
    if (!rules.sameJob(d, first)) throw new UserError(`merge: ${files[i]} and ${files[0]} are shards of different ${rules.plural} (network, inputs or settings differ)`);
    if (seen.has(d.shard.k)) throw new UserError(`merge: ${files[i]} and ${seen.get(d.shard.k)} are both shard ${d.shard.k}/${d.shard.n}`);
    seen.set(d.shard.k, files[i]);
  });
  const missing = Array.from({ length: first.shard.n }, (_, k) => k + 1).filter((k) => !seen.has(k));
  if (missing.length) throw new UserError(`merge: shard(s) ${missing.join(', ')} of ${first.shard.n} are missing`);
  return docs;
}

/** Structural equality of two JSON values (settings, lists). */
export const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
