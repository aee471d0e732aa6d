// The page (web/index.html): pick a bundled network or drop an ONNX file, sweep epsilon over the
// first N MNIST test images with IBP and/or CROWN, on WebGPU or on the CPU engine in a Web
// Worker, and show the curve, the table, example images and a JSON download. Errors read as the
// CLI prints them ("veribound: <message>"). For automation (test/web-page.test.ts) the form can
// be filled from the query string (?net=…&data=…&samples=…&eps=…&method=ibp,crown&backend=…&schedule=…&run=1)
// and <body data-state> ends as "done" or "error"; window.veribound holds the last report.
import type { Network } from '../network.js';
import { describeLayer, logitNetwork, parameterCount } from '../network.js';
import type { BoundEngine, BoundMethod } from '../bounds/types.js';
import type { Dataset } from '../data/dataset.js';
import { loadOnnxBytes } from '../onnx/load.js';
import { UserError } from '../errors.js';
import { parseCount, parseEpsList } from '../sweep/eps.js';
import type { Schedule } from '../sweep/scheduler.js';
import { svgLinePlot } from '../report/svg-plot.js';
import { describeAdapter } from '../kernels/device.js';
import type { GpuEngine } from '../kernels/engine.js';
import { binarySubset } from '../data/subset.js';
import { parseMnistSubset } from './mnist-subset.js';
import { pageSweep, type PageReport } from './sweep.js';
import { WorkerCpuEngine } from './worker-engine.js';
import { createBrowserGpuEngine, findBrowserAdapter, type BrowserAdapter } from './gpu.js';

interface Manifest { models: { name: string; file: string }[]; mnist: { images: string; labels: string; count: number } }

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const state = (s: 'loading' | 'idle' | 'running' | 'done' | 'error') => { document.body.dataset.state = s; };
const page = globalThis as unknown as { veribound: { report: PageReport | null; error: string | null; netError: string | null } };
page.veribound = { report: null, error: null, netError: null };

let manifest: Manifest;
let dataset: Dataset | null = null;
let adapter: BrowserAdapter | string = 'not probed yet';
let gpuEngine: GpuEngine | null = null;
/** The network to sweep: a bundled name, or a file the user gave (loaded, or why it failed). */
let userNet: { file: string; net: Network | null; error: string | null } | null = null;

function log(line: string): void {
  $('log').textContent += line + '\n';
}
addEventListener('veribound-log', (e) => log((e as CustomEvent<string>).detail));

/** The CLI's phrasing: a UserError is "veribound: <message>", anything else the same plus what it was. */
function errorLine(err: unknown): string {
  if (err instanceof UserError) return `veribound: ${err.message}`;
  return `veribound: ${err instanceof Error ? err.message : String(err)}`;
}

function showError(line: string | null): void {
  const el = $('error');
  el.textContent = line ?? '';
  el.hidden = line === null;
}

/** The CPU engine: as many Web Workers as cores, at most 4 (the CLI takes the cores, at most 2). */
const newWorker = () => new WorkerCpuEngine(() => new Worker(new URL('cpu-worker.js', import.meta.url)),
  Math.min(4, Math.max(1, navigator.hardwareConcurrency || 1)), log);

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

function describeNet(net: Network): string {
  return `${net.name}: input [${net.inputShape}], ${net.layers.length} layers (${net.layers.map((l) => describeLayer(l)).join(' → ')}), ${parameterCount(net).toLocaleString('en')} parameters`;
}

async function bundledNet(name: string): Promise<Network> {
  const entry = manifest.models.find((m) => m.name === name);
  if (!entry) throw new UserError(`'${name}' is neither an ONNX file nor a bundled model (bundled: ${manifest.models.map((m) => m.name).join(', ')})`);
  const net = loadOnnxBytes(new Uint8Array(await fetchBytes(entry.file)), entry.file);
  net.name = name;
  return net;
}

async function chooseFile(file: File): Promise<void> {
  showError(null);
  userNet = { file: file.name, net: null, error: null };
  try {
    const net = loadOnnxBytes(new Uint8Array(await file.arrayBuffer()), file.name);
    for (const w of net.warnings) log(`veribound: warning: ${w}`);
    userNet.net = net;
    guessData(file.name);
    $('netinfo').textContent = describeNet(net);
    page.veribound.netError = null;
  } catch (err) {
    userNet.error = errorLine(err);
    page.veribound.netError = userNet.error;
    $('netinfo').textContent = `${file.name}: not usable`;
    showError(userNet.error);
  }
}

async function currentNet(): Promise<Network> {
  if (userNet) {
    if (!userNet.net) throw new UserError(userNet.error!.replace(/^veribound: /, ''));
    return userNet.net;
  }
  return bundledNet(($('net') as HTMLSelectElement).value);
}

function adapterLine(): string {
  if (typeof adapter === 'string') return `WebGPU: none — ${adapter}; the sweep runs on the CPU engine in a Web Worker`;
  const a = adapter.info;
  const name = [a.vendor, a.architecture, a.description].filter(Boolean).join(' / ') || 'unnamed (the browser hides its name)';
  return `WebGPU adapter: ${name} — ${a.isFallback ? 'software (fallback) adapter: auto uses the CPU engine, choose WebGPU to use it anyway' : 'hardware'}`;
}

/** The engine for the chosen backend, as the CLI's --backend: auto = a hardware GPU, else the CPU. */
async function engineFor(backend: string): Promise<BoundEngine> {
  const cpu = () => { const e = newWorker(); log(`backend ${backend}: ${backend === 'cpu' ? '' : 'no hardware WebGPU adapter, '}using the CPU engine (${e.describe()})`); return e; };
  if (backend === 'cpu') return cpu();
  if (typeof adapter === 'string') {
    if (backend === 'gpu') throw new UserError(`--backend gpu: ${adapter} (use --backend cpu or auto)`);
    return cpu();
  }
  if (backend === 'auto' && adapter.info.isFallback) return cpu();
  gpuEngine ??= await createBrowserGpuEngine(adapter, newWorker);
  log(`backend ${backend}: ${describeAdapter(adapter.info)}`);
  return gpuEngine;
}

/** --data as the page has it: the bundled MNIST images, or mnist:AvB (the CLI's two-digit subset of them). */
function datasetFor(spec: string): Dataset {
  const s = spec.trim();
  if (s === 'mnist') return dataset!;
  const m = /^mnist:(\d)v(\d)$/.exec(s);
  if (!m) throw new UserError(`dataset '${s}': the page has the bundled MNIST test images: expected 'mnist' or 'mnist:AvB' (e.g. mnist:3v5)`);
  const a = Number(m[1]), b = Number(m[2]);
  if (a === b) throw new UserError(`dataset '${s}': the two digits must differ`);
  return binarySubset(dataset!, a, b, `mnist:${a}v${b}-test`);
}

/** A one-output network named like *3v5* is judged on those two digits (as `veribound info` guesses). */
function guessData(name: string): void {
  const m = /(\d)v(\d)/.exec(name);
  ($('data') as HTMLInputElement).value = m && m[1] !== m[2] ? `mnist:${m[1]}v${m[2]}` : 'mnist';
}

function pct(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}

/** One row per epsilon, a column group per method (the CLI prints one row per method and epsilon). */
function renderTable(rep: PageReport): void {
  const esc = (t: string) => t.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
  const at = (method: string, eps: number) => rep.results.find((r) => r.method === method && r.eps === eps)!;
  const head = `<tr><th rowspan="2">ε</th>${rep.methods.map((m) => `<th colspan="3">${m.toUpperCase()}</th>`).join('')}</tr>` +
    `<tr>${rep.methods.map(() => '<th>verified</th><th>robust acc</th><th>time (s)</th>').join('')}</tr>`;
  const body = rep.eps.map((eps) => `<tr><td>${eps}</td>${rep.methods.map((m) => {
    const r = at(m, eps);
    return `<td>${r.verified}/${r.samples}</td><td>${pct(r.robustAccuracy)}</td><td>${r.timeS.toFixed(3)}</td>`;
  }).join('')}</tr>`).join('');
  const falsified = rep.samples - rep.cleanCorrect;
  $('table').innerHTML = `<thead>${head}</thead><tbody>${body}</tbody>` +
    `<caption class="muted">${esc(rep.net)} on ${rep.samples} images of ${esc(rep.data)}: clean accuracy ${pct(rep.cleanAccuracy)} ` +
    `(${falsified} misclassified = falsified at every ε); engine ${esc(rep.engine)}; schedule ${rep.schedule}; ${rep.timeS.toFixed(2)} s</caption>`;
}

function renderPlot(rep: PageReport): void {
  const series = rep.methods.map((method) => {
    const rows = rep.results.filter((r) => r.method === method);
    return { label: method.toUpperCase(), x: rows.map((r) => r.eps), y: rows.map((r) => 100 * r.robustAccuracy) };
  });
  $('plot').innerHTML = svgLinePlot(series, {
    title: `${rep.net}: robust accuracy on ${rep.samples} inputs of ${rep.data}`,
    xLabel: 'epsilon (L-infinity radius)', xRange: [0, rep.eps[rep.eps.length - 1]], yLabel: 'robust accuracy (%)',
    reference: { label: 'clean accuracy', y: 100 * rep.cleanAccuracy }, width: 560, height: 360,
  });
}

/** A grey or RGB CHW image in [0, 1] as a PNG data URL (grey: one channel; anything else: none). */
function imageUrl(ds: Dataset, index: number): string | null {
  const [c, h, w] = ds.shape.length === 3 ? ds.shape : [1, 0, 0];
  if (!(c === 1 || c === 3) || !h || !w) return null;
  const n = c * h * w;
  const canvas = document.createElement('canvas');
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  for (let p = 0; p < h * w; p++) {
    for (let k = 0; k < 3; k++) img.data[4 * p + k] = Math.round(255 * ds.images[index * n + (c === 3 ? k * h * w : 0) + p]);
    img.data[4 * p + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas.toDataURL();
}

function renderExamples(rep: PageReport, ds: Dataset): void {
  const method = rep.methods[rep.methods.length - 1];
  const figure = (i: number, caption: string) => {
    const url = imageUrl(ds, i);
    return `<figure>${url ? `<img src="${url}" alt="test image ${i}">` : ''}<figcaption>${caption}</figcaption></figure>`;
  };
  const verified = rep.perSample.filter((s) => s.maxVerifiedEps[method] !== null)
    .sort((a, b) => b.maxVerifiedEps[method]! - a.maxVerifiedEps[method]!).slice(0, 8);
  const falsified = rep.perSample.filter((s) => s.predicted !== s.label).slice(0, 8);
  const open = rep.perSample.filter((s) => s.predicted === s.label && s.maxVerifiedEps[method] === null).slice(0, 8);
  const group = (title: string, items: string[]) => `<div class="examples-group"><h3>${title}</h3>${items.join('') || '<span class="muted">none</span>'}</div>`;
  $('examples').innerHTML =
    group(`verified (${method.toUpperCase()}), largest ε proven`, verified.map((s) => figure(s.index, `#${s.index}: ${s.label}, ε ${s.maxVerifiedEps[method]}`))) +
    group('falsified: misclassified (the image itself)', falsified.map((s) => figure(s.index, `#${s.index}: ${s.label} → ${s.predicted}`))) +
    group(`not verified at any ε (${method.toUpperCase()})`, open.map((s) => figure(s.index, `#${s.index}: ${s.label}`)));
}

async function runOnce(): Promise<void> {
  showError(null);
  $('log').textContent = '';
  state('running');
  ($('run') as HTMLButtonElement).disabled = true;
  const progress = $('progress') as HTMLProgressElement;
  const text = $('progress-text');
  let engine: BoundEngine | null = null;
  try {
    const eps = parseEpsList(($('eps') as HTMLInputElement).value);
    const samples = parseCount(($('samples') as HTMLInputElement).value, '--samples');
    const methods = Array.from(document.querySelectorAll<HTMLInputElement>('input[name=method]:checked')).map((e) => e.value as BoundMethod);
    if (!methods.length) throw new UserError('--method: choose IBP, CROWN or both');
    const schedule = ($('schedule') as HTMLSelectElement).value as Schedule;
    const net = logitNetwork(await currentNet());
    $('netinfo').textContent = describeNet(net);
    const ds = datasetFor(($('data') as HTMLInputElement).value);
    engine = await engineFor(($('backend') as HTMLSelectElement).value);
    const rep = await pageSweep(net, ds, engine, {
      samples, eps, methods, schedule,
      onProgress: (done, total) => { progress.max = Math.max(1, total); progress.value = done; text.textContent = `${done} / ${total} (input, ε) pairs`; },
    });
    page.veribound.report = rep;
    renderTable(rep);
    renderPlot(rep);
    renderExamples(rep, ds);
    const a = $('download') as HTMLAnchorElement;
    if (a.href.startsWith('blob:')) URL.revokeObjectURL(a.href);
    a.href = URL.createObjectURL(new Blob([JSON.stringify(rep, null, 1) + '\n'], { type: 'application/json' }));
    a.download = `sweep-${rep.net.replace(/[^\w.-]+/g, '_')}.json`;
    $('results').hidden = false;
    state('done');
  } catch (err) {
    const line = errorLine(err);
    page.veribound.error = line;
    showError(line);
    if (!(err instanceof UserError)) console.error(err);
    state('error');
  } finally {
    if (engine && engine !== gpuEngine) await engine.dispose();
    ($('run') as HTMLButtonElement).disabled = false;
  }
}

function applyQuery(q: URLSearchParams): void {
  const set = (id: string, key: string) => { const v = q.get(key); if (v !== null) ($(id) as HTMLInputElement).value = v; };
  set('net', 'net');
  if (q.get('net') !== null) guessData(q.get('net')!);
  set('data', 'data'); set('samples', 'samples'); set('eps', 'eps'); set('schedule', 'schedule'); set('backend', 'backend');
  const m = q.get('method');
  if (m !== null) {
    const wanted = m.split(',').map((s) => s.trim());
    document.querySelectorAll<HTMLInputElement>('input[name=method]').forEach((e) => { e.checked = wanted.includes(e.value); });
  }
}

async function init(): Promise<void> {
  try {
    manifest = await (await fetch('manifest.json')).json() as Manifest;
    const select = $('net') as HTMLSelectElement;
    select.innerHTML = manifest.models.map((m) => `<option value="${m.name}">${m.name}</option>`).join('');
    select.value = manifest.models.some((m) => m.name === 'mnist-mlp') ? 'mnist-mlp' : manifest.models[0]?.name;
    select.onchange = () => { userNet = null; ($('file') as HTMLInputElement).value = ''; showError(null); $('netinfo').textContent = ''; guessData(select.value); };
    guessData(select.value);
    const [img, lbl] = await Promise.all([fetchBytes(manifest.mnist.images), fetchBytes(manifest.mnist.labels)]);
    dataset = parseMnistSubset(img, lbl, manifest.mnist.images);
    ($('samples') as HTMLInputElement).max = String(dataset.count);
    adapter = await findBrowserAdapter();
    $('adapter').textContent = adapterLine();
    const file = $('file') as HTMLInputElement;
    file.onchange = () => { if (file.files?.[0]) void chooseFile(file.files[0]); };
    const drop = $('drop');
    addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
    addEventListener('dragleave', () => drop.classList.remove('over'));
    addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      const f = e.dataTransfer?.files?.[0];
      if (f) void chooseFile(f);
    });
    $('form').onsubmit = (e) => { e.preventDefault(); void runOnce(); };
    const q = new URLSearchParams(location.search);
    applyQuery(q);
    ($('run') as HTMLButtonElement).disabled = false;
    state('idle');
    if (q.get('run') === '1') void runOnce();
  } catch (err) {
    const line = errorLine(err);
    page.veribound.error = line;
    showError(line);
    state('error');
  }
}

void init();
