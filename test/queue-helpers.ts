// Real parts for the queue tests: a redis-server of the test's own (a free localhost port, a temp
// folder, a password, no persistence) and `veribound worker` processes whose output lines a test
// can wait for. Everything started here is stopped by the test that started it.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { test, type Test } from 'uvu';
import { guard, redisMissing } from './helpers/requires.js';

export const cli = path.resolve('dist', 'src', 'cli.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A spawned process whose stdout and stderr are collected; `waitFor` resolves on a matching output. */
export class Proc {
  out = '';
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  constructor(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    this.child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd, env: opts.env ?? process.env });
    this.child.stdout!.on('data', (d) => { this.out += d; });
    this.child.stderr!.on('data', (d) => { this.out += d; });
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : null))));
  }
  async waitFor(re: RegExp, timeoutMs = 60000): Promise<RegExpMatchArray> {
    const t0 = Date.now();
    for (;;) {
      const m = this.out.match(re);
      if (m) return m;
      if (Date.now() - t0 > timeoutMs) throw new Error(`no ${re} within ${timeoutMs / 1000} s; output so far:\n${this.out}`);
      if (this.child.exitCode !== null) throw new Error(`exited (${this.child.exitCode}) before ${re}; output:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20000);
    await this.exited;
    clearTimeout(timer);
  }
}

export interface TestRedis { url: string; password: string; port: number; stop(): Promise<void> }

export async function startRedis(password: string): Promise<TestRedis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-redis-'));
  const port = await freePort();
  const p = new Proc('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--requirepass', password], { cwd: dir });
  await p.waitFor(/Ready to accept connections/, 20000);
  return {
    url: `redis://:${password}@127.0.0.1:${port}`, password, port,
    async stop() { await p.stop(); fs.rmSync(dir, { recursive: true, force: true }); },
  };
}

/** A worker; `stallS` short only where a test kills one (a loaded machine may miss a short lock renewal). */
export function startWorker(url: string, workDir: string, stallS = 10): Proc {
  return new Proc(process.execPath, [cli, 'worker', '--queue', url, '--work-dir', workDir, '--stall-s', String(stallS)]);
}

export function veriboundAsync(args: string[]): Proc {
  return new Proc(process.execPath, [cli, ...args]);
}

/** The workers a test file started (each in DIR/work-NAME), stopped together after each test. */
export class WorkerPool {
  private readonly running: Proc[] = [];
  constructor(private readonly url: () => string, private readonly dir: string) {}
  start(name: string, stallS?: number): Proc {
    const w = startWorker(this.url(), path.join(this.dir, `work-${name}`), stallS);
    this.running.push(w);
    return w;
  }
  async stopAll(): Promise<void> {
    await Promise.all(this.running.splice(0).map((w) => w.stop()));
  }
}

/**
 * The redis-server part of a queue test file: tests guarded on redis-server, one
 * password-protected server for the file (stopped, and the file's folder `tmp` removed, after
 * its last test) and workers in `tmp` stopped after each test.
 */
export function redisSuite(password: string, tmp: string): { rtest: Test; redis: () => TestRedis; worker: (name: string, stallS?: number) => Proc; stopWorkers: () => Promise<void> } {
  const rtest = guard(test, redisMissing());
  let redis: TestRedis | undefined;
  rtest.before(async () => { redis = await startRedis(password); });
  rtest.after(async () => { await redis?.stop(); fs.rmSync(tmp, { recursive: true, force: true }); });
  const pool = new WorkerPool(() => redis!.url, tmp);
  const stopWorkers = () => pool.stopAll();
  rtest.after.each(async () => { await stopWorkers(); });
  return { rtest, redis: () => redis!, worker: (name, stallS) => pool.start(name, stallS), stopWorkers };
}
