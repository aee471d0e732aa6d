// The one shape of every JSON document the CLI prints (--json) or writes (--out): the command's
// own fields with camelCase keys (snake_case keys are converted, deep, so no document mixes
// `time_s` with `timeS`), and a `meta` object from run-meta.ts (version, command line, seed,
// engine). Typed arrays become plain arrays.
import { runMeta } from './run-meta.js';
import type { RunMeta } from './run-meta.js';
import { writeFileAtomic } from './outputs.js';
import { UserError } from './errors.js';

const camel = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A deep copy with every object key in camelCase. */
export function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [camel(k), camelKeys(v)]));
  }
  return value;
}

export type JsonDoc = Record<string, unknown> & { meta: RunMeta };

/** `body` with camelCase keys and the run's meta (seed: null when the command is deterministic). */
export function jsonDoc(body: unknown, meta: { seed?: number | null; engine?: string | null } = {}): JsonDoc {
  return { ...(camelKeys(body) as Record<string, unknown>), meta: runMeta(meta) };
}

/** One JSON document, one line, on stdout. */
export function printJson(doc: JsonDoc): void {
  process.stdout.write(JSON.stringify(doc) + '\n');
}

/** --out FILE: the same document, written whole (the path was claimed before the work started). */
export function writeJsonOut(file: string | undefined, doc: JsonDoc): void {
  if (file !== undefined) writeFileAtomic(file, JSON.stringify(doc, null, 1) + '\n', '--out');
}

/** --out is always the JSON document: a path ending in another format's extension is a mistake. */
export function checkJsonOut(file: string | undefined, hint: string): void {
  if (file !== undefined && !/\.json$/i.test(file)) throw new UserError(`--out ${file}: --out writes the JSON document (FILE.json); ${hint}`);
}
