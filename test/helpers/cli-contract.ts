// The bad-input contract of the real CLI, checked the way a user meets it: spawn
// `node dist/src/cli.js ...`, then require exit code 2, exactly one line on stderr that matches
// what names the problem (file, op, shape or value), no stack trace or "internal error", nothing
// on stdout, and none of the output paths the command was given left behind.
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
export const cli = path.join(root, 'dist/src/cli.js');

/** A fresh temp dir for a test file's fixtures; `file(name)` is a path inside it. */
export function tempDir(prefix: string): { dir: string; file(name: string): string; write(name: string, data: Uint8Array | string): string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    dir,
    file: (name) => path.join(dir, name),
    write(name, data) {
      const f = path.join(dir, name);
      fs.writeFileSync(f, data);
      return f;
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export interface Refusal {
  /** Each must match the one stderr line. */
  says: RegExp[];
  /** Paths given to the command that must not exist afterwards. */
  outputs?: string[];
  timeoutMs?: number;
}

/** Runs the CLI with `args` and checks the refusal contract; returns the stderr line. */
export function refuses(args: string[], r: Refusal): string {
  for (const o of r.outputs ?? []) fs.rmSync(o, { force: true });
  const p = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: r.timeoutMs ?? 120_000, cwd: root });
  const what = `veribound ${args.join(' ')}`.slice(0, 300);
  assert.is(p.error, undefined, `${what}: ${p.error}`);
  assert.is(p.status, 2, `${what}: exit code ${p.status}, stderr:\n${p.stderr}`);
  const lines = p.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.is(lines.length, 1, `${what}: exactly one stderr line, got:\n${p.stderr}`);
  assert.not.match(p.stderr, /\n\s+at |internal error|RangeError|Maximum call stack/, `${what}: no stack trace`);
  assert.match(lines[0], /^veribound: /);
  for (const s of r.says) assert.match(lines[0], s, `${what}: stderr line\n  ${lines[0]}\ndoes not match ${s}`);
  assert.is(p.stdout, '', `${what}: nothing on stdout`);
  for (const o of r.outputs ?? []) assert.not.ok(fs.existsSync(o), `${what}: ${o} was written`);
  return lines[0];
}

/** Runs the CLI and requires success (the control case of a fixture). */
export function succeeds(args: string[], timeoutMs = 120_000): { stdout: string; stderr: string } {
  const p = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: timeoutMs, cwd: root });
  assert.is(p.status, 0, `veribound ${args.join(' ')}: exit ${p.status}, stderr:\n${p.stderr}`);
  return { stdout: p.stdout, stderr: p.stderr };
}
