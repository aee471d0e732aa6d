// `attack --indices` on a small MNIST-shaped network: the table's rows are exactly what
// `attack --index I --json` prints for each image (times aside), in the list's order, in CSV and
// JSON; `--shard K/N` files merged equal the whole table; merge refuses a missing shard and a
// forged example; Ctrl-C keeps the finished rows (partial, exit 130); bad lists are one line, exit 2.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { saveOnnx } from '../src/onnx/export.js';
import { parseIndices, stableAttackCsv, stableAttackJson } from '../src/attack/table.js';
import { UserError } from '../src/errors.js';
import { smallMnistNet } from './helpers/small-mnist-net.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veribound-attack-table-'));
const cli = path.resolve('dist/src/cli.js');
const f = (name: string) => path.join(dir, name);


const netFile = f('small.onnx');
saveOnnx(smallMnistNet(3, 5), netFile);
// a generous solver limit: each image finishes (optimal or bracketed) long before it on this net
const OPTS = ['--net', netFile, '--timeout', '60', '--tolerance', '1e-3'];
const veribound = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const read = (name: string) => fs.readFileSync(f(name), 'utf8');
const zeroTimes = (row: Record<string, unknown>) => stableAttackJson({ rows: [row] }) as { rows: unknown[] };

test('parseIndices: A:B is A..B-1, lists, and one clear error per bad list', () => {
  assert.equal(parseIndices('2:5', 10), [2, 3, 4]);
  assert.equal(parseIndices('7, 1,3', 10), [7, 1, 3]);
  for (const [text, msg] of [['5:5', /B > A/], ['3:11', /image 10 does not exist/], ['1,x', /'x' is not a whole number/], ['1,1', /listed twice/], ['10', /image 10 does not exist/], ['-1', /not a whole number/]] as const) {
    assert.throws(() => parseIndices(text, 10), (e: unknown) => e instanceof UserError && msg.test((e as Error).message), text);
  }
});

test('attack --indices: each row is attack --index I --json for that image, in the list order; CSV and summary agree', () => {
  const r = veribound('attack', ...OPTS, '--indices', '3,0,2,1', '--csv', f('t.csv'), '--out', f('t.json'));
  assert.is(r.code, 0, r.err);
  const lines = r.out.trim().split('\n');
  assert.is(lines.length, 5, r.out);
  assert.match(lines[0], /^\[1\/4\] image 3: label \d, classified \d/);
  assert.match(lines[4], /^4 of 4 image\(s\): /);
  const doc = JSON.parse(read('t.json'));
  assert.equal(doc.indices, [3, 0, 2, 1]);
  assert.is(doc.partial, false);
  assert.equal(doc.rows.map((x: { index: number }) => x.index), [3, 0, 2, 1]);
  for (const [j, index] of [3, 0, 2, 1].entries()) {
    const one = veribound('attack', ...OPTS, '--index', String(index), '--json');
    assert.is(one.code, 0, one.err);
    const { meta: _meta, ...single } = JSON.parse(one.out);
    assert.ok(['optimal', 'bracketed', 'infeasible'].includes(single.status), `image ${index}: ${single.status} (the test wants finished attacks)`);
    assert.equal(zeroTimes(doc.rows[j]), zeroTimes(single), `image ${index}`);
  }
  const found = doc.rows.filter((x: { distance: number | null }) => x.distance !== null).map((x: { distance: number }) => x.distance).sort((a: number, b: number) => a - b);
  assert.is(doc.summary.count, 4);
  assert.is(doc.summary.found, found.length);
  if (found.length) assert.is(doc.summary.medianDistance, found.length % 2 ? found[found.length >> 1] : (found[found.length / 2 - 1] + found[found.length / 2]) / 2);
  const csv = read('t.csv').trim().split('\n');
  assert.is(csv[0], 'index,label,originalClass,newClass,status,distance,lowerBound,timeS');
  assert.is(csv.length, 5);
  for (const [j, row] of doc.rows.entries()) {
    assert.ok(csv[j + 1].startsWith(`${row.index},${row.label},${row.originalClass},${row.newClass ?? ''},`), csv[j + 1]);
    assert.ok(csv[j + 1].includes(`,${row.distance ?? ''},${row.lowerBound},`), csv[j + 1]);
  }
});

test('attack --indices --shard K/3 merged equals the whole table; merge refuses a missing shard and a forged example', () => {
  const local = veribound('attack', ...OPTS, '--indices', '0:4', '--csv', f('l.csv'), '--out', f('l.json'));
  assert.is(local.code, 0, local.err);
  for (const k of [1, 2, 3]) {
    const r = veribound('attack', ...OPTS, '--indices', '0:4', '--shard', `${k}/3`, '--out', f(`s${k}.json`));
    assert.is(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`shard ${k}/3: ${k === 1 ? 2 : 1} of 4 images`));
  }
  const m = veribound('merge', '--csv', f('m.csv'), '--out', f('m.json'), f('s3.json'), f('s1.json'), f('s2.json'));
  assert.is(m.code, 0, m.err);
  assert.equal(stableAttackJson(JSON.parse(read('m.json'))), stableAttackJson(JSON.parse(read('l.json'))));
  assert.is(stableAttackCsv(read('m.csv')), stableAttackCsv(read('l.csv')));

  const missing = veribound('merge', '--out', f('x.json'), f('s1.json'), f('s2.json'));
  assert.is(missing.code, 2);
  assert.match(missing.err, /shard\(s\) 3 of 3 are missing/);
  // a shard whose example was moved: its row no longer replays on the network
  const s1 = JSON.parse(read('s1.json'));
  const row = s1.rows.find((x: { adversarial: number[] | null }) => x.adversarial !== null);
  assert.ok(row, 'shard 1 has an example to forge');
  row.adversarial = row.adversarial.map(() => 0.5);
  fs.writeFileSync(f('forged.json'), JSON.stringify(s1) + '\n');
  const forged = veribound('merge', '--out', f('y.json'), f('forged.json'), f('s2.json'), f('s3.json'));
  assert.is(forged.code, 2, forged.err);
  assert.match(forged.err, /forged\.json: the row of image \d+: its example/);
  assert.not.ok(fs.existsSync(f('y.json')));
});

test('attack --indices: Ctrl-C writes the finished rows, marked partial, and exits 130', async () => {
  const child = spawn(process.execPath, [cli, 'attack', ...OPTS, '--indices', '0:300', '--out', f('p.json'), '--csv', f('p.csv')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const code = await new Promise<number | null>((resolve) => {
    const timer = setInterval(() => { if (/\[2\/300\]/.test(out)) { clearInterval(timer); child.kill('SIGINT'); } }, 50);
    child.on('close', (c) => { clearInterval(timer); resolve(c); });
  });
  assert.is(code, 130, out);
  const doc = JSON.parse(read('p.json'));
  assert.is(doc.partial, true);
  assert.ok(doc.rows.length >= 2 && doc.rows.length < 300, `${doc.rows.length} rows`);
  assert.equal(doc.rows.map((x: { index: number }) => x.index), Array.from({ length: doc.rows.length }, (_, i) => i));
  assert.is(read('p.csv').trim().split('\n').length, doc.rows.length + 1);
});

test('attack --indices: bad arguments are one line and exit 2, before any work', () => {
  for (const [args, msg] of [
    [['--indices', '0:20000'], /--indices '0:20000': image 19999 does not exist/],
    [['--indices', '0:2', '--index', '1'], /not both/],
    [['--indices', '0:2', '--target', '3'], /--target is for one image/],
    [['--index', '0', '--csv', f('c.csv')], /--csv is for a table/],
    [['--indices', '0:2', '--shard', '1/2'], /--shard K\/N writes its shard file to --out/],
    [['--indices', '0:2', '--shard', '1/2', '--queue', 'redis://127.0.0.1:1'], /give one/],
    [['--indices', '0:2', '--csv', f('no/such/dir/t.csv')], /folder .* does not exist/],
  ] as const) {
    const r = veribound('attack', ...OPTS, ...args);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.is(r.err.trim().split('\n').length, 1, r.err);
    assert.match(r.err, msg);
  }
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test.run();
