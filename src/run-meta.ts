// What every JSON document and report records about the run that made it, built in one place so
// that all commands say it the same way: the veribound version, the command line, the seed (null
// for deterministic commands) and the engine (null where no bound engine ran).
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from './paths.js';

function readVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The installed package's version (from its package.json). */
export const VERSION: string = readVersion();

export interface RunMeta {
  version: string;
  /** The arguments after `veribound`, as typed (e.g. "sweep --net mnist-mlp --eps 0.01"). */
  commandLine: string;
  seed: number | null;
  engine: string | null;
}

let commandLine = '';

/** The CLI records its arguments once at start; the library leaves it empty. */
export function setCommandLine(argv: readonly string[]): void {
  commandLine = quoteCommandLine(argv);
}

/** `veribound <args>` with each argument shell-quoted where it needs it (pasteable into a shell). */
export function quoteCommandLine(argv: readonly string[]): string {
  return ['veribound', ...argv].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function runMeta(opts: { seed?: number | null; engine?: string | null } = {}): RunMeta {
  return { version: VERSION, commandLine, seed: opts.seed ?? null, engine: opts.engine ?? null };
}
