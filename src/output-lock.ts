// Two runs writing the same output file: the second refuses, in the first second, instead of
// silently replacing the first one's results. Each output is claimed by an exclusive lock file
// `FILE.lock` (created with O_EXCL, holding the owner's pid) next to it, removed when the process
// exits (normally, by process.exit, or through interrupt.ts). A lock whose pid no longer runs was
// left by a killed process and is taken over.
import fs from 'node:fs';
import { UserError } from './errors.js';
import { checkWritable } from './outputs.js';

const held = new Set<string>();
let hooked = false;

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims `file` for this process; a UserError when another live veribound holds it. */
export function lockOutput(file: string, flag: string): void {
  const lock = `${file}.lock`;
  if (held.has(lock)) return;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      held.add(lock);
      if (!hooked) {
        hooked = true;
        process.on('exit', releaseAll);
      }
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new UserError(`${flag} ${file}: cannot create ${lock} (${code ?? String(err)})`);
      const owner = Number(fs.readFileSync(lock, 'utf8').trim());
      if (alive(owner) && owner !== process.pid) {
        throw new UserError(`${flag} ${file}: another veribound (pid ${owner}) is writing it; wait for it to finish or give another path`);
      }
      fs.rmSync(lock, { force: true }); // left by a process that no longer runs
    }
  }
  throw new UserError(`${flag} ${file}: cannot claim ${lock}`);
}

/** Releases every lock this process holds (also run on exit). */
export function releaseAll(): void {
  for (const lock of held) {
    try { fs.rmSync(lock, { force: true }); } catch { /* exiting anyway */ }
  }
  held.clear();
}

/**
 * Before any long work: the output's folder exists, the path is not a folder, and this process
 * holds its lock (which also proves the folder writable).
 */
export function claimOutput(file: string, flag: string): void {
  checkWritable(file, flag);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new UserError(`${flag} ${file}: is a folder, expected a file path`);
  lockOutput(file, flag);
}
