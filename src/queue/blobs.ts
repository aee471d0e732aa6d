// Files a job needs (networks, properties) travel as Redis keys named by their sha256: the
// submitter stores each distinct file once (kept a week, so that a --resume still finds it), a
// worker fetches it into its own cache folder under the same name after checking the hash. So a
// worker reads only bytes whose hash the job names, and writes only inside its --work-dir.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { UserError } from '../errors.js';
import { KEY_PREFIX } from './connection.js';
import type { BlobRef } from './jobs.js';

const WEEK_S = 7 * 24 * 3600;
const key = (sha256: string) => `${KEY_PREFIX}:blob:${sha256}`;

/** Reads a file the submitter names and its reference (ext by role: '.onnx' or '.vnnlib'). */
export function readBlob(file: string, ext: string, name: string): { ref: BlobRef; bytes: Buffer } {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new UserError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return { ref: { sha256: crypto.createHash('sha256').update(bytes).digest('hex'), ext, name }, bytes };
}

/** Stores each distinct blob once (refreshing the expiry of those already there). */
export async function uploadBlobs(client: Redis, blobs: Map<string, Buffer>): Promise<void> {
  for (const [sha, bytes] of blobs) {
    const set = await client.set(key(sha), bytes, 'EX', WEEK_S, 'NX');
    if (set === null) await client.expire(key(sha), WEEK_S);
  }
}

/** The blob as a file in `cacheDir` (fetched and hash-checked the first time). */
export async function fetchBlob(client: Redis, ref: BlobRef, cacheDir: string): Promise<string> {
  const file = path.join(cacheDir, `${ref.sha256}${ref.ext}`);
  if (fs.existsSync(file)) return file;
  const bytes = await client.getBuffer(key(ref.sha256));
  if (!bytes) throw new Error(`${ref.name}: its bytes (sha256 ${ref.sha256.slice(0, 12)}…) are not in the queue's Redis (expired, or submitted elsewhere)`);
  const got = crypto.createHash('sha256').update(bytes).digest('hex');
  if (got !== ref.sha256) throw new Error(`${ref.name}: the bytes in Redis do not have the sha256 the job names`);
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
  return file;
}
