// The job queue with its real parts: a redis-server of the test's own (with a password), real
// `veribound worker` processes and the CLI as submitter. Checked: an instance set through the
// queue equals the local run exactly (times aside); a worker SIGKILLed mid-job changes
// nothing (its job goes to another worker after the stall check and is counted once); an
// interrupted submitter re-attaches with --resume; a bad instance is one error row, not retried;
// jobs that are not veribound's are refused without running; an unreachable Redis or a wrong
// password is one line and exit 2, and the password is never printed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Queue } from 'bullmq';
import { parseQueueUrl, maskPassword } from '../src/queue/connection.js';
import { validateJob } from '../src/queue/jobs.js';
import { saveOnnx } from '../src/onnx/export.js';
import { randomNetwork, seededRng } from './helpers/random-network.js';
import { benchDir, guard, redisMissing, sharedMissing } from './helpers/requires.js';
import { cli, freePort, startRedis, veriboundAsync, type Proc, type TestRedis, WorkerPool } from './queue-helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-queue-test-'));
const veribound = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const PASSWORD = 'pw-s3cret-Q';

test('queue URL: host, port, db, user and password for AUTH, rediss:// turns TLS on; messages mask the password', () => {
  const a = parseQueueUrl(`redis://:${PASSWORD}@10.0.0.5:7000/3`);
  assert.equal({ host: a.options.host, port: a.options.port, db: a.options.db, password: a.options.password, tls: a.options.tls }, { host: '10.0.0.5', port: 7000, db: 3, password: PASSWORD, tls: undefined });
  assert.not.match(a.display, PASSWORD);
  const b = parseQueueUrl('rediss://alice:p%40ss@redis.example.org');
  assert.equal({ port: b.options.port, username: b.options.username, password: b.options.password, tls: b.options.tls }, { port: 6379, username: 'alice', password: 'p@ss', tls: { servername: 'redis.example.org' } });
  assert.is(b.display, 'rediss://alice:***@redis.example.org');
  assert.is(maskPassword('redis://host:1'), 'redis://host:1');
  assert.throws(() => parseQueueUrl('http://host:1'), /scheme 'http:' is not redis: or rediss:/);
  assert.throws(() => parseQueueUrl(`nonsense :${PASSWORD}@`), (e: Error) => !e.message.includes(PASSWORD));
});

test('jobs: only veribound kinds with checked fields', () => {
  const sha = 'a'.repeat(64);
  const ok = { kind: 'verify', onnx: { sha256: sha, ext: '.onnx', name: 'n' }, vnnlib: { sha256: sha, ext: '.vnnlib', name: 'p' }, timeoutS: 5, backend: 'cpu' };
  assert.is(validateJob('verify', ok).kind, 'verify');
  for (const [name, data, msg] of [
    ['exec', { kind: 'exec', cmd: 'rm -rf /' }, /not a veribound job kind/],
    ['sweep-block', ok, /not a veribound job kind/],
    ['verify', { ...ok, onnx: { ...ok.onnx, sha256: '../../etc/passwd' } }, /onnx\.sha256: expected 64 hex digits/],
    ['verify', { ...ok, onnx: { ...ok.onnx, ext: '.sh' } }, /onnx\.ext/],
    ['verify', { ...ok, timeoutS: -1 }, /timeoutS/],
    ['verify', { ...ok, backend: 'shell' }, /backend/],
    ['verify', { ...ok, cmd: 'x' }, /unknown field cmd/],
  ] as const) {
    assert.throws(() => validateJob(name, data), (e: Error) => msg.test(e.message) && /^refused job/.test(e.message), `${name} ${JSON.stringify(data).slice(0, 60)}`);
  }
});

test('Redis unreachable (worker and submitter): one line, exit 2, the password not printed, no results file', async () => {
  const port = await freePort(); // nothing listens there
  const r = veribound('worker', '--queue', `redis://:${PASSWORD}@127.0.0.1:${port}`);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`^veribound: cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)\\n$`));
  assert.not.match(r.stdout + r.stderr, PASSWORD);
  // a submitter too, and it leaves no results file behind
  saveOnnx(randomNetwork(seededRng(1), { kind: 'dense', depth: 1, width: 4, outputs: 2 }), path.join(tmp, 'u.onnx'));
  fs.writeFileSync(path.join(tmp, 'u.vnnlib'), '; not read by the submitter\n');
  fs.writeFileSync(path.join(tmp, 'u.csv'), 'u.onnx,u.vnnlib,10\n');
  const s = veribound('run', '--instances', path.join(tmp, 'u.csv'), '--queue', `redis://:${PASSWORD}@127.0.0.1:${port}`, '--csv', path.join(tmp, 'u-results.csv'));
  assert.is(s.status, 2, s.stderr);
  assert.match(s.stderr, /^veribound: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ \(ECONNREFUSED\)\n$/);
  assert.not.match(s.stdout + s.stderr, PASSWORD);
  assert.not.ok(fs.existsSync(path.join(tmp, 'u-results.csv')));
});

const rtest = guard(test, redisMissing());
const rstest = guard(test, redisMissing() ?? sharedMissing());

let redis: TestRedis | undefined;
rtest.before(async () => { redis = await startRedis(PASSWORD); });
rtest.after(async () => { await redis?.stop(); fs.rmSync(tmp, { recursive: true, force: true }); });

const pool = new WorkerPool(() => redis!.url, tmp);
const worker = (name: string, stallS?: number) => pool.start(name, stallS);
const stopWorkers = () => pool.stopAll();
const noPassword = (...texts: string[]) => { for (const t of texts) assert.not.match(t, PASSWORD, 'the password was printed'); };

// the sanity set plus a row whose property does not parse (a bad instance)
const sanity = path.join(benchDir, 'sanity');
const instances = path.join(tmp, 'instances.csv');
if (fs.existsSync(sanity)) {
  fs.writeFileSync(path.join(tmp, 'bad.vnnlib'), '(declare-const X_0 Real)\n(assert (<= X_0 oops))\n');
  const rows = fs.readFileSync(path.join(sanity, 'test_instances.csv'), 'utf8').trim().split('\n').map((l) => {
    const [o, v, t] = l.split(',');
    return `${path.join(sanity, o)},${path.join(sanity, v)},${t}`;
  });
  rows.splice(2, 0, `${path.join(sanity, 'test_nano.onnx')},${path.join(tmp, 'bad.vnnlib')},30`);
  fs.writeFileSync(instances, rows.join('\n') + '\n');
}
const ROWS = 6;
const rowsOf = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(',').slice(0, 3).join(','));
let local: string[] = [];
const localDir = path.join(tmp, 'local');

rstest('run --queue with 2 workers: the same results.csv rows and result files as the local run; the bad row is one error, not retried', async () => {
  const r = veribound('run', '--instances', instances, '--backend', 'cpu', '--csv', path.join(tmp, 'local.csv'), '--results-dir', localDir);
  assert.is(r.status, 0, r.stderr);
  local = rowsOf(path.join(tmp, 'local.csv'));
  assert.is(local.length, ROWS + 1);
  assert.match(local[3], /bad\.vnnlib,error$/);
  const [a, b] = [worker('a'), worker('b')];
  await Promise.all([a.waitFor(/taking jobs/), b.waitFor(/taking jobs/)]);
  const q = veribound('run', '--instances', instances, '--backend', 'cpu', '--queue', redis!.url, '--csv', path.join(tmp, 'queue.csv'), '--results-dir', path.join(tmp, 'queue'), '--out', path.join(tmp, 'queue.json'));
  assert.is(q.status, 0, q.stderr);
  assert.equal(rowsOf(path.join(tmp, 'queue.csv')), local);
  // --out: the local run's document, rows in the instances' order, plus the queue's overhead per job
  const doc = JSON.parse(fs.readFileSync(path.join(tmp, 'queue.json'), 'utf8'));
  assert.equal(doc.rows.map((r: { onnx: string; vnnlib: string; result: string }) => [r.onnx, r.vnnlib, r.result].join(',')), local.slice(1));
  assert.is(doc.queue.jobs, ROWS);
  assert.ok(doc.queue.waitS.min >= 0 && doc.queue.collectS.max >= doc.queue.collectS.min);
  // the result files where the local run puts them (named after the instance), with the same text
  const resultFiles = (dir: string) => fs.readdirSync(dir).filter((n) => n.endsWith('.result')).sort();
  assert.equal(resultFiles(path.join(tmp, 'queue')), resultFiles(localDir));
  assert.ok(resultFiles(localDir).length >= ROWS - 1);
  for (const f of resultFiles(localDir)) assert.is(fs.readFileSync(path.join(tmp, 'queue', f), 'utf8'), fs.readFileSync(path.join(localDir, f), 'utf8'), f);
  assert.match(q.stdout, /queue: enqueued → taken median/);
  await stopWorkers();
  // each job started once: the bad row's job was not retried
  const started = (a.out + b.out).match(/started \S+/g) ?? [];
  assert.is(started.length, ROWS, a.out + b.out);
  assert.is(new Set(started).size, ROWS);
  noPassword(q.stdout, q.stderr, a.out, b.out);
});

rstest('a worker SIGKILLed mid-job: the job goes to the other worker after the stall check, every row counted once', async () => {
  const [a, b] = [worker('k1', 1), worker('k2', 1)];
  await Promise.all([a.waitFor(/taking jobs/), b.waitFor(/taking jobs/)]);
  const sub = veriboundAsync(['run', '--instances', instances, '--backend', 'cpu', '--queue', redis!.url, '--csv', path.join(tmp, 'killed.csv')]);
  // kill whichever worker starts a job first, while that job's verify child is still starting
  const first = await Promise.race([a.waitFor(/started (\S+)/).then((m) => ({ w: a, other: b, id: m[1] })), b.waitFor(/started (\S+)/).then((m) => ({ w: b, other: a, id: m[1] }))]);
  first.w.child.kill('SIGKILL');
  assert.not.match(first.w.out, `finished ${first.id}`);
  await first.other.waitFor(new RegExp(`started ${first.id}\\b`), 60000);
  assert.is(await sub.exited, 0, sub.out);
  assert.equal(rowsOf(path.join(tmp, 'killed.csv')), local);
  await stopWorkers();
});

rstest('an interrupted submitter (Ctrl-C) leaves its jobs; a new one refuses them without --resume and collects them with it', async () => {
  const args = ['run', '--instances', instances, '--backend', 'cpu', '--queue', redis!.url, '--csv', path.join(tmp, 'resumed.csv')];
  const sub = veriboundAsync(args);
  await sub.waitFor(/6 job\(s\) on redis:\/\/:\*\*\*@/);
  sub.child.kill('SIGINT');
  assert.is(await sub.exited, 130, sub.out);
  assert.match(sub.out, /interrupted; 6 of 6 job\(s\) stay in the queue: run the same command with --resume/);
  const again = veribound(...args);
  assert.is(again.status, 2);
  assert.match(again.stderr, /already holds 6 job\(s\) of this very run .* add --resume/);
  const w = worker('r');
  await w.waitFor(/finished \S+-5/, 120000); // the queue's jobs run while no submitter waits
  const res = veribound(...args, '--resume');
  assert.is(res.status, 0, res.stderr);
  assert.match(res.stdout, /re-attached to 6 of 6 job\(s\)/);
  assert.equal(rowsOf(path.join(tmp, 'resumed.csv')), local);
  await stopWorkers();
  noPassword(sub.out, again.stderr, res.stdout, res.stderr, w.out);
});

rtest('a job that is not veribound\'s (or has a bad field) fails at once, is not retried and runs nothing', async () => {
  const w = worker('f');
  await w.waitFor(/taking jobs/);
  const queue = new Queue('veribound', { connection: { host: '127.0.0.1', port: redis!.port, password: PASSWORD }, prefix: 'veribound' });
  const marker = path.join(tmp, 'pwned');
  try {
    const evil = await queue.add('exec', { kind: 'exec', cmd: `touch ${marker}` }, { attempts: 3 });
    const badPath = await queue.add('verify', { kind: 'verify', onnx: { sha256: '../../../etc/passwd', ext: '.onnx', name: 'x' }, vnnlib: { sha256: 'b'.repeat(64), ext: '.vnnlib', name: 'y' }, timeoutS: 5, backend: 'cpu' }, { attempts: 3 });
    for (const job of [evil, badPath]) {
      for (let t = 0; (await job.getState()) !== 'failed'; t++) {
        assert.ok(t < 300, 'the job never failed');
        await new Promise((r) => setTimeout(r, 100));
      }
      const done = await queue.getJob(job.id!);
      assert.match(done!.failedReason, /^refused job: /);
      assert.is(done!.attemptsMade, 1, 'not retried');
    }
    assert.not.ok(fs.existsSync(marker));
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
    await stopWorkers();
  }
});

rtest('a wrong password: one line, exit 2, neither password printed', () => {
  const wrong = 'not-the-Pw-42';
  const r = veribound('worker', '--queue', `redis://:${wrong}@127.0.0.1:${redis!.port}`);
  assert.is(r.status, 2, r.stderr);
  assert.is(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /^veribound: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ \(.*(WRONGPASS|invalid).*\)/);
  noPassword(r.stdout, r.stderr);
  assert.not.match(r.stdout + r.stderr, wrong);
});

test.run();
