// The queue URL (`--queue redis://[user:password@]host[:port][/db]`, or rediss:// for TLS) and the
// first connection to it. The password goes to Redis's AUTH and nowhere else: every message shows
// the URL with it masked. An unreachable or refusing Redis is one line and exit 2 (a UserError),
// found within a few seconds instead of ioredis's endless reconnecting.
import { Redis, type RedisOptions } from 'ioredis';
import { UserError } from '../errors.js';

/** The BullMQ queue every veribound submitter and worker uses, and the prefix of our own keys. */
export const QUEUE_NAME = 'veribound';
export const KEY_PREFIX = 'veribound';

export interface QueueTarget {
  options: RedisOptions;
  /** The URL for messages: password masked. */
  display: string;
}

export function parseQueueUrl(text: string): QueueTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // not echoed: an unparsable URL may hold a password where the masking cannot find it
    throw new UserError('--queue: the value is not a URL (expected redis://[:PASSWORD@]HOST[:PORT] or rediss://…)');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new UserError(`--queue: scheme '${url.protocol}' is not redis: or rediss:`);
  if (!url.hostname) throw new UserError('--queue: the URL names no host');
  const port = url.port ? Number(url.port) : 6379;
  const db = url.pathname && url.pathname !== '/' ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new UserError(`--queue: database '${url.pathname.slice(1)}' is not a non-negative integer`);
  const options: RedisOptions = {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    db,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: { servername: url.hostname } } : {}),
  };
  return { options, display: maskPassword(text) };
}

/** The URL with any password replaced by ***. */
export function maskPassword(text: string): string {
  return text.replace(/^([a-z]+:\/\/)([^@/]*)@/i, (_, scheme: string, auth: string) => {
    const colon = auth.indexOf(':');
    return `${scheme}${colon < 0 ? auth : `${auth.slice(0, colon)}:***`}@`;
  });
}

/**
 * A connected client (BullMQ's settings: no per-command retry limit, so that a worker rides out a
 * short Redis restart), after one PING that must answer within `timeoutMs`.
 */
export async function connect(target: QueueTarget, timeoutMs = 5000): Promise<Redis> {
  const client = new Redis({ ...target.options, lazyConnect: true, maxRetriesPerRequest: null, connectTimeout: timeoutMs, retryStrategy: () => null });
  let lastError: Error | undefined;
  client.on('error', (err: Error) => { lastError = err; });
  try {
    await client.connect();
    await withTimeout(client.ping(), timeoutMs);
  } catch (err) {
    client.disconnect();
    const e = (lastError ?? err) as NodeJS.ErrnoException;
    const why = e.code ?? e.message ?? String(e);
    throw new UserError(`cannot reach Redis at ${target.display} (${String(why).replace(target.options.password ?? '\u0000', '***')})`);
  }
  // from here on reconnect as ioredis does by default (a worker outlives a Redis restart)
  client.options.retryStrategy = (times: number) => Math.min(times * 200, 5000);
  return client;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer in ${ms / 1000} s`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}
