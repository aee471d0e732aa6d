// The browser page (npm run build:web) in a real browser: Debian's Chromium, headless, with
// WebGPU on its SwiftShader adapter, loads the built page from a local static server and sweeps
// a bundled network; its verified counts must equal `veribound sweep`'s on the same network,
// images, epsilons and schedule — on the CPU engine (the page's Web Worker vs the CLI's threads,
// both float64) and on WebGPU (the browser's Dawn vs the CLI's, the same kernels and rounding);
// a residual network the kernels do not cover goes to the page's CPU workers with the CLI's warning.
// A malformed ONNX file and one with an unsupported operator, chosen on the page, must show the
// CLI's error line. A screenshot goes to out/web-page.png (look at it). In-page expressions are
// strings: this file is compiled without the DOM's types.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { chromiumMissing, chromiumPath, gpuMissing, guard, root } from './helpers/requires.js';
import { serveStatic, type StaticServer } from '../src/serve/static.js';
import { model, node, numbers } from './fixtures-onnx.js';

const web = guard(test, chromiumMissing());
const webGpu = guard(test, chromiumMissing() ?? (await gpuMissing()));

const SWEEP = { net: 'mnist-mlp', samples: '20', eps: '0.0005,0.001,0.02', method: 'ibp,crown', schedule: 'bisect' };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-web-test-'));
let server: StaticServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

interface CliResult { code: number; stderr: string; json: { results: { method: string; eps: number; verified: number }[] } | null }

function cli(args: string[], out?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, 'dist/src/cli.js'), ...args, ...(out ? ['--out', out] : [])], { cwd: root, timeout: 300_000 }, (err, _stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stderr, json: out && fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : null });
    });
  });
}

const sweepArgs = (backend: string) => ['sweep', '--net', SWEEP.net, '--samples', SWEEP.samples, '--eps', SWEEP.eps, '--method', SWEEP.method, '--schedule', SWEEP.schedule, '--backend', backend];
const counts = (results: { method: string; eps: number; verified: number }[]) => Object.fromEntries(results.map((r) => [`${r.method}@${r.eps}`, r.verified]));

// the CLI's runs start at once and go on while the browser works (SwiftShader is slow on both sides)
let cliCpu: Promise<CliResult> | undefined;
let cliGpu: Promise<CliResult> | undefined;
let cliResidual: Promise<CliResult> | undefined;
const residualFile = path.join(tmp, 'residual.onnx');
const RESIDUAL = { samples: '60', eps: '0.001,0.003,0.01', method: 'ibp,crown', schedule: 'all', backend: 'gpu' };

web.before(async () => {
  const built = path.join(tmp, 'site');
  await new Promise<void>((resolve, reject) => execFile(process.execPath, [path.join(root, 'scripts/build-web.mjs'), '--no-check', '--out', built, '--mnist', '100'], { cwd: root },
    (err, _o, stderr) => (err ? reject(new Error(`build-web failed: ${stderr}`)) : resolve())));
  cliCpu = cli(sweepArgs('cpu'), path.join(tmp, 'cli-cpu.json'));
  if (!(await gpuMissing())) {
    cliGpu = cli(sweepArgs('gpu'), path.join(tmp, 'cli-gpu.json'));
    // x → Gemm → h; Relu(h) → Gemm → g; y = g + h: the Add of two computed tensors is not a chain
    fs.writeFileSync(residualFile, model({
      nodes: [node('Gemm', ['x', 'W1', 'b1'], ['h'], { transB: 1 }), node('Relu', ['h'], ['r']), node('Gemm', ['r', 'W2'], ['g'], { transB: 1 }), node('Add', ['g', 'h'], ['y'])],
      inits: [{ name: 'W1', dims: [10, 784], data: numbers(1, 7840).map((v) => v / 20) }, { name: 'b1', dims: [10], data: numbers(2, 10) },
        { name: 'W2', dims: [10, 10], data: numbers(3, 100).map((v) => v / 3) }],
      input: { name: 'x', dims: [1, 784] }, output: 'y',
    }));
    cliResidual = cli(['sweep', '--net', residualFile, ...Object.entries(RESIDUAL).flatMap(([k, v]) => [`--${k}`, v])], path.join(tmp, 'cli-residual.json'));
  }
  server = await serveStatic(built);
  browser = await puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    protocolTimeout: 330_000, // waitForFunction is one protocol call that lasts the whole sweep
    userDataDir: path.join(tmp, 'profile'),
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--hide-scrollbars',
      // WebGPU on SwiftShader, Chromium's software Vulkan
      '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader', '--disable-vulkan-surface'],
    env: { ...process.env, VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json' },
  });
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(String((e as Error).message ?? e)));
  await page.setViewport({ width: 1200, height: 1000 });
});

web.after(async () => {
  await browser?.close();
  await server?.close();
  await Promise.allSettled([cliCpu, cliGpu, cliResidual]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Opens the page with the sweep in the query string and waits for its own done/error signal. */
interface PageState { state: string; report: { engine: string; results: { method: string; eps: number; verified: number }[] } | null; error: string | null; adapter: string }
async function sweepInPage(backend: string): Promise<PageState> {
  const q = new URLSearchParams({ ...SWEEP, backend, run: '1' });
  await page.goto(`${server.url}?${q}`);
  await page.waitForFunction(`['done', 'error'].includes(document.body.dataset.state)`, { timeout: 300_000, polling: 250 });
  return page.evaluate(`({ state: document.body.dataset.state, report: window.veribound.report, error: window.veribound.error,
    adapter: document.getElementById('adapter').textContent })`) as Promise<PageState>;
}

web('the page on its CPU engine (Web Worker) verifies exactly what veribound sweep --backend cpu verifies', async () => {
  const got = await sweepInPage('cpu');
  assert.is(got.error, null);
  assert.is(got.state, 'done');
  assert.match(got.report!.engine, /^cpu float64 \(Web Worker/);
  const cliRun = await cliCpu!;
  assert.is(cliRun.code, 0, cliRun.stderr);
  const want = counts(cliRun.json!.results);
  assert.equal(counts(got.report!.results), want);
  // the sweep is not trivial: some pairs verified, some not, for each method
  for (const m of ['ibp', 'crown']) {
    const v = Object.entries(want).filter(([k]) => k.startsWith(m + '@')).map(([, n]) => n);
    assert.ok(Math.max(...v) > 0 && Math.min(...v) < Number(SWEEP.samples), `${m}: ${v}`);
  }
  assert.equal(pageErrors, []);
});

webGpu('the page on WebGPU (SwiftShader in Chromium) verifies exactly what veribound sweep --backend gpu verifies', async () => {
  const got = await sweepInPage('gpu');
  assert.is(got.error, null, `page error: ${got.error}; adapter line: ${got.adapter}`);
  assert.is(got.state, 'done');
  assert.match(got.report!.engine, /^gpu: /);
  assert.match(got.adapter, /software \(fallback\) adapter/);
  fs.mkdirSync(path.join(root, 'out'), { recursive: true });
  await page.screenshot({ path: path.join(root, 'out/web-page.png'), fullPage: true });
  const cliRun = await cliGpu!;
  assert.is(cliRun.code, 0, cliRun.stderr);
  assert.equal(counts(got.report!.results), counts(cliRun.json!.results));
  assert.equal(pageErrors, []);
});

webGpu('a residual network the GPU kernels do not cover runs on the page\'s CPU workers, with a warning, and matches the CLI', async () => {
  const q = new URLSearchParams(RESIDUAL);
  await page.goto(`${server.url}?${q}`);
  await page.waitForFunction(`document.body.dataset.state === 'idle'`, { timeout: 60_000, polling: 100 });
  await (await page.$('#file'))!.uploadFile(residualFile);
  await page.waitForFunction(`document.getElementById('netinfo').textContent.startsWith('residual.onnx')`, { timeout: 30_000, polling: 100 });
  await page.click('#run');
  await page.waitForFunction(`['done', 'error'].includes(document.body.dataset.state)`, { timeout: 300_000, polling: 250 });
  const got = await page.evaluate(`({ report: window.veribound.report, error: window.veribound.error, log: document.getElementById('log').textContent })`) as { report: PageState['report']; error: string | null; log: string };
  assert.is(got.error, null);
  assert.match(got.report!.engine, /^gpu: /);
  assert.match(got.log, /the GPU engine cannot run ibp on residual\.onnx: the network is not a chain/);
  const res = await cliResidual!;
  assert.is(res.code, 0, res.stderr);
  const want = counts(res.json!.results);
  assert.equal(counts(got.report!.results), want);
  assert.ok(Object.values(want).some((n) => n > 0), JSON.stringify(want));
  assert.equal(pageErrors, []);
});

/** The page's error line for a file chosen in its file input, and the CLI's for the same file. */
async function errorLines(file: string): Promise<{ page: string; cli: string }> {
  await page.goto(server.url);
  await page.waitForFunction(`document.body.dataset.state === 'idle'`, { timeout: 60_000, polling: 100 });
  const input = await page.$('#file');
  await input!.uploadFile(file);
  await page.waitForFunction('window.veribound.netError !== null', { timeout: 30_000, polling: 100 });
  const shown = await page.evaluate(`(() => { const e = document.getElementById('error'); return e.hidden ? '' : e.textContent; })()`) as string;
  const res = await cli(['sweep', '--net', file, '--samples', '1', '--backend', 'cpu']);
  assert.is(res.code, 2);
  // the CLI names the file by the path it was given, the page by the file's name
  return { page: shown, cli: res.stderr.trim().split(path.dirname(file) + path.sep).join('') };
}

web('a malformed ONNX file chosen on the page shows the CLI\'s error line', async () => {
  const bad = path.join(tmp, 'bad.onnx');
  fs.writeFileSync(bad, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x7f, 0x01, 0x02]));
  const { page: shown, cli: line } = await errorLines(bad);
  assert.match(line, /^veribound: bad\.onnx: not an ONNX model/);
  assert.is(shown, line);
});

web('an ONNX file with an unsupported operator shows the CLI\'s error line', async () => {
  const erf = path.join(tmp, 'erf.onnx');
  fs.writeFileSync(erf, model({ nodes: [node('Erf', ['x'], ['y'], {}, 'the_erf')], input: { name: 'x', dims: [1, 4] }, output: 'y' }));
  const { page: shown, cli: line } = await errorLines(erf);
  assert.match(line, /^veribound: erf\.onnx: unsupported operator 'Erf'/);
  assert.is(shown, line);
  assert.equal(pageErrors, []);
});

web.run();
