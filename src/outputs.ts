// Output files, checked before long work starts and written whole: every command that writes
// results goes through here, so an unwritable path fails in the first second (one line, exit 2)
// and a failure or an interrupt never leaves a half-written file behind.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from './errors.js';

/** Fails early (before long work) when an output file's folder does not exist. */
export function checkWritable(file: string, flag: string): void {
  const dir = path.dirname(path.resolve(file));
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new UserError(`${flag} ${file}: folder ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new UserError(`${flag} ${file}: ${dir} is not a folder`);
}

/** Writes through a temporary file and a rename, so a failure leaves nothing half-written. */
export function writeFileAtomic(file: string, text: string, flag: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new UserError(`${flag} ${file}: cannot write it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}
