// The static server behind `veribound serve` and the web page's test: it serves the files of its
// folder with their content types, answers 404 for what is not there, never a file outside the
// folder (encoded or not), and `veribound serve` on a folder with no built page is one line, exit 2.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { resolveInside, serveStatic } from '../src/serve/static.js';
import { root } from './helpers/requires.js';

function get(url: string, rawPath: string): Promise<{ status: number; type: string; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    // http.get with `path` sends rawPath as is (no URL normalisation of ../ by the client)
    http.get({ host: u.hostname, port: u.port, path: rawPath }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type'] ?? ''), body }));
    }).on('error', reject);
  });
}

test('resolveInside keeps every request inside the folder', () => {
  const r = path.resolve('/srv/site');
  assert.is(resolveInside(r, '/index.html'), path.join(r, 'index.html'));
  assert.is(resolveInside(r, '/models/a.onnx?x=1#y'), path.join(r, 'models/a.onnx'));
  assert.is(resolveInside(r, '/../etc/passwd'), path.join(r, 'etc/passwd'));
  assert.is(resolveInside(r, '/%2e%2e/%2e%2e/etc/passwd'), path.join(r, 'etc/passwd'));
  assert.is(resolveInside(r, '/a%00b'), null);
  assert.is(resolveInside(r, '/%zz'), null);
});

test('serveStatic serves files with their types, 404 otherwise, nothing outside the folder', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-serve-'));
  const site = path.join(dir, 'site');
  fs.mkdirSync(path.join(site, 'models'), { recursive: true });
  fs.writeFileSync(path.join(site, 'index.html'), '<p>page</p>');
  fs.writeFileSync(path.join(site, 'main.js'), 'export {};');
  fs.writeFileSync(path.join(site, 'models', 'n.onnx'), 'bytes');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside');
  const s = await serveStatic(site);
  try {
    const index = await get(s.url, '/');
    assert.is(index.status, 200);
    assert.is(index.body, '<p>page</p>');
    assert.match(index.type, /^text\/html/);
    assert.match((await get(s.url, '/main.js')).type, /^text\/javascript/);
    assert.is((await get(s.url, '/models/n.onnx')).body, 'bytes');
    assert.is((await get(s.url, '/nope.js')).status, 404);
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt']) {
      const r = await get(s.url, p);
      assert.is(r.status, 404, p);
      assert.not.match(r.body, /outside/);
    }
  } finally {
    await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('veribound serve on a folder without a built page: one line, exit 2', () => {
  const r = spawnSync(process.execPath, [path.join(root, 'dist/src/cli.js'), 'serve', '--dir', '/nonexistent/site'], { encoding: 'utf8' });
  assert.is(r.status, 2);
  assert.is(r.stderr, 'veribound: /nonexistent/site: no built page there (index.html missing); run npm run build:web first or give the folder it wrote with --dir\n');
});

test.run();
