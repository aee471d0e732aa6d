// What a report records about how it was made: the veribound version (from the package's own
// package.json, found relative to this file in src/ and in dist/src/ alike) and the command
// line, quoted so that it can be pasted back into a shell.
import fs from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

export function veriboundVersion(): string {
  if (cached !== undefined) return cached;
  let dir = path.dirname(new URL(import.meta.url).pathname);
  for (let k = 0; k < 5; k++, dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'veribound' && pkg.version) return (cached = pkg.version);
    } catch { /* not here: one folder up */ }
  }
  return (cached = 'unknown');
}

/** `veribound <args>` with each argument shell-quoted where it needs it. */
export function commandLine(args: readonly string[] = process.argv.slice(2)): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['veribound', ...args.map(quote)].join(' ');
}
