// The WebAssembly SIMD GEMM (gemm-wat.ts) from JS: one instance and one memory per thread,
// right factors kept resident (bound weights never change while a net is bounded), left
// factors copied in and products copied out on every call. Memory layout: resident factors
// from address 0 upward, the scratch of a call (A, out, pack, koff) above them.
import { GEMM_WASM_BASE64 } from './gemm-binary.js';

// The project's libs (ES2022, no DOM) do not declare WebAssembly: the little used here, typed locally.
interface WasmMemory { buffer: ArrayBuffer; grow(pages: number): number }
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (mod: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

type GemmFn = (a: number, n: number, inner: number, w: number, cols: number, out: number, pack: number, koff: number) => void;
type ConcretiseFn = (a: number, n: number, size: number, mid: number, rad: number, box: number, lb: number) => void;
type GemmcFn = (a: number, n: number, inner: number, w: number, cols: number, pack: number, koff: number, mid: number, rad: number, box: number, lb: number) => void;
type CornerFn = (a: number, n: number, size: number, mid: number, rad: number, box: number, out: number) => void;
type LinesFn = (p: number, n: number, L: number, stride: number, low: number, up: number, icpt: number, sums: number) => void;

const PAGE = 65536;
/** Resident factors beyond this many bytes are dropped and reloaded on demand. */
const RESIDENT_CAP = 256 * 1024 * 1024;

let kernel: { fn: GemmFn; fnc: GemmcFn; concretise: ConcretiseFn; corner: CornerFn; lines: LinesFn; memory: WasmMemory } | null | undefined;
/** Address of each resident factor, valid while its epoch is the current one. */
const resident = new WeakMap<Float64Array, { at: number; epoch: number }>();
let epoch = 0;
let top = 0;

function load(): typeof kernel {
  if (kernel !== undefined) return kernel;
  try {
    if (!WA || !GEMM_WASM_BASE64) throw new Error('no WebAssembly');
    const inst = new WA.Instance(new WA.Module(Buffer.from(GEMM_WASM_BASE64, 'base64')), {});
    kernel = { fn: inst.exports.gemm as GemmFn, fnc: inst.exports.gemmc as GemmcFn, concretise: inst.exports.concretise as ConcretiseFn, corner: inst.exports.corner as CornerFn, lines: inst.exports.lines as LinesFn, memory: inst.exports.memory as WasmMemory };
  } catch {
    kernel = null; // no WebAssembly SIMD here: the JS loops do the work
  }
  return kernel;
}

/** True when the SIMD kernel can run in this process. */
export function wasmGemmAvailable(): boolean {
  return load() != null;
}

function ensure(bytes: number): void {
  const mem = kernel!.memory;
  if (bytes > mem.buffer.byteLength) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / PAGE));
}

const align = (x: number) => (x + 15) & ~15;

/** Address of W (inner × cols, row-major) in wasm memory, copying it in on first use. */
function residentOf(W: Float64Array): number {
  const hit = resident.get(W);
  if (hit && hit.epoch === epoch) return hit.at;
  const bytes = align(W.length * 8 + 16); // + one lane read past the end (odd last column)
  if (top + bytes > RESIDENT_CAP) {
    epoch++;
    top = 0;
  }
  const at = top;
  ensure(at + bytes);
  new Float64Array(kernel!.memory.buffer, at, W.length).set(W);
  top += bytes;
  resident.set(W, { at, epoch });
  return at;
}

/** Where one product's A copy, result and kernel scratch lie in wasm memory, from byte `from`. */
interface GemmLayout { rows: number; aAt: number; oAt: number; packAt: number; koffAt: number; end: number }

function gemmLayout(n: number, inner: number, cols: number, from: number): GemmLayout {
  const rows = (n + 3) & ~3;
  const aAt = from;
  const oAt = align(aAt + rows * inner * 8);
  const packAt = align(oAt + rows * cols * 8);
  const koffAt = packAt + inner * 64;
  return { rows, aAt, oAt, packAt, koffAt, end: koffAt + inner * 4 + 16 };
}

/** Copies A (padded with zero rows to a multiple of 4) into its place and runs the kernel against W at wAt. */
function runGemm(L: GemmLayout, A: Float64Array, n: number, inner: number, wAt: number, cols: number): void {
  const a = new Float64Array(kernel!.memory.buffer, L.aAt, L.rows * inner);
  a.set(A.subarray(0, n * inner));
  if (L.rows > n) a.fill(0, n * inner);
  kernel!.fn(L.aAt, n, inner, wAt, cols, L.oAt, L.packAt, L.koffAt);
}

/**
 * out (n × cols) = A (n × inner) · W (inner × cols), W row-major, every output summed over k in
 * increasing order (bit-identical to the JS loops). Returns false when WebAssembly is missing.
 */
export function gemmWasm(A: Float64Array, n: number, inner: number, W: Float64Array, cols: number, out: Float64Array): boolean {
  if (!load()) return false;
  const w = residentOf(W);
  const L = gemmLayout(n, inner, cols, top);
  ensure(L.end);
  runGemm(L, A, n, inner, w, cols);
  out.set(new Float64Array(kernel!.memory.buffer, L.oAt, n * cols));
  return true;
}

/**
 * gemmWasm for a right factor used once (a per-box gathered sub-matrix): W is copied into the
 * call's scratch instead of the resident area, so such factors never pile up in wasm memory.
 * Same sums, same order, same bits. The product (n × cols) is handed to `take` as a view of wasm
 * memory, valid only during the call (it reads or copies what it needs). Returns false when
 * WebAssembly is missing.
 */
export function gemmWasmOnce(A: Float64Array, n: number, inner: number, W: Float64Array, cols: number, take: (product: Float64Array) => void): boolean {
  if (!load()) return false;
  const wAt = top;
  const L = gemmLayout(n, inner, cols, align(wAt + inner * cols * 8 + 16));
  ensure(L.end);
  const w = new Float64Array(kernel!.memory.buffer, wAt, inner * cols + 2);
  w.set(W.subarray(0, inner * cols));
  w[inner * cols] = 0;
  w[inner * cols + 1] = 0;
  runGemm(L, A, n, inner, wAt, cols);
  take(new Float64Array(kernel!.memory.buffer, L.oAt, n * cols));
  return true;
}

/** Per-neuron lines on L columns (relax/lines.ts: slopes for a > 0 and a < 0, the upper intercept). */
export interface LinesOf { low: Float64Array; up: Float64Array; icpt: Float64Array }

/**
 * gemmWasmOnce followed by the backward step through `lines` on the product's first L columns
 * (the wasm `lines` kernel, relax/lines.ts stepRow's sums bit for bit), in place in wasm memory:
 * `take` gets the stepped product and each row's sum of intercept terms (n of them), both views
 * valid only during the call. Returns false when WebAssembly is missing.
 */
export function gemmLinesWasmOnce(A: Float64Array, n: number, inner: number, W: Float64Array, cols: number, lines: LinesOf, L: number, take: (product: Float64Array, sums: Float64Array) => void): boolean {
  if (!load()) return false;
  const wAt = top;
  const G = gemmLayout(n, inner, cols, align(wAt + inner * cols * 8 + 16));
  const lowAt = align(G.end), upAt = align(lowAt + L * 8), icptAt = align(upAt + L * 8), sumsAt = align(icptAt + L * 8);
  ensure(sumsAt + G.rows * 8);
  const buf = kernel!.memory.buffer;
  const w = new Float64Array(buf, wAt, inner * cols + 2);
  w.set(W.subarray(0, inner * cols));
  w[inner * cols] = 0;
  w[inner * cols + 1] = 0;
  new Float64Array(buf, lowAt, L).set(lines.low.subarray(0, L));
  new Float64Array(buf, upAt, L).set(lines.up.subarray(0, L));
  new Float64Array(buf, icptAt, L).set(lines.icpt.subarray(0, L));
  runGemm(G, A, n, inner, wAt, cols);
  // padding rows of the product are 0 (their A rows are): an even count reads one at most
  kernel!.lines(G.oAt, n + (n & 1), L, cols * 8, lowAt, upAt, icptAt, sumsAt);
  take(new Float64Array(buf, G.oAt, n * cols), new Float64Array(buf, sumsAt, n));
  return true;
}

/**
 * lb[r] += concretisation of row r of A·W over its box box[r] (mid, rad: boxes × `cols`
 * centres and radii): gemmWasm followed by concretiseWasm, without copying the product out of
 * wasm memory and back in (and, when every block of four rows reads one box, in one kernel that
 * concretises the product as it is produced: gemmc). Same sums, same order, same bits. W is
 * resident (a network's weights). Returns false when WebAssembly is missing.
 */
export function gemmConcretiseWasm(A: Float64Array, n: number, inner: number, W: Float64Array, cols: number, mid: Float64Array, rad: Float64Array, box: Int32Array, lb: Float64Array): boolean {
  if (!load()) return false;
  const w = residentOf(W);
  const L = gemmLayout(n, inner, cols, top);
  const { rows, oAt } = L;
  const { local, idx } = localBoxes(box, n);
  const midAt = align(L.end);
  const radAt = align(midAt + local.size * cols * 8);
  const boxAt = align(radAt + local.size * cols * 8);
  const lbAt = align(boxAt + rows * 4);
  ensure(lbAt + rows * 8);
  const buf = kernel!.memory.buffer;
  copyBoxes(buf, local, mid, rad, cols, midAt, radAt);
  new Int32Array(buf, boxAt, rows).set(idx.subarray(0, rows));
  const l = new Float64Array(buf, lbAt, rows);
  l.set(lb.subarray(0, n));
  if (rows > n) l.fill(0, n);
  if (blocksOfOneBox(box, n)) {
    // the product concretised as it is produced (gemmc), never stored
    const a = new Float64Array(buf, L.aAt, rows * inner);
    a.set(A.subarray(0, n * inner));
    if (rows > n) a.fill(0, n * inner);
    kernel!.fnc(L.aAt, n, inner, w, cols, L.packAt, L.koffAt, midAt, radAt, boxAt, lbAt);
  } else {
    runGemm(L, A, n, inner, w, cols);
    // concretise's rows go in pairs: an odd n reads one padding row (its A row of the product is 0)
    kernel!.concretise(oAt, n + (n & 1), cols, midAt, radAt, boxAt, lbAt);
  }
  lb.set(l.subarray(0, n));
  return true;
}

/** True when every block of four rows (0–3, 4–7, …) reads one box (gemmc's blocks). */
function blocksOfOneBox(box: Int32Array, n: number): boolean {
  for (let r = 0; r < n; r++) if (box[r] !== box[r & ~3]) return false;
  return true;
}

/** The boxes rows read, renumbered in order of first use (idx: per row, n rounded up to 4 entries, padding 0). */
function localBoxes(box: Int32Array, n: number): { local: Map<number, number>; idx: Int32Array } {
  const local = new Map<number, number>();
  const idx = new Int32Array(((n + 3) & ~3) + 4);
  for (let r = 0; r < n; r++) {
    let k = local.get(box[r]);
    if (k === undefined) local.set(box[r], (k = local.size));
    idx[r] = k;
  }
  return { local, idx };
}

/** Copies the centres and radii of the boxes in `local` to their local positions in wasm memory. */
function copyBoxes(buf: ArrayBuffer, local: Map<number, number>, mid: Float64Array, rad: Float64Array, size: number, midAt: number, radAt: number): void {
  const m = new Float64Array(buf, midAt, local.size * size), q = new Float64Array(buf, radAt, local.size * size);
  for (const [b, k] of local) {
    m.set(mid.subarray(b * size, (b + 1) * size), k * size);
    q.set(rad.subarray(b * size, (b + 1) * size), k * size);
  }
}

/**
 * lb[r] += Σ_i A[r][i]·mid[box[r]][i] − |A[r][i]|·rad[box[r]][i] (A: n × size; mid, rad: boxes ×
 * size), summed in increasing i like the JS loop; with `corner` (n × size), also each row's
 * minimising corner mid − sign(A)·rad (the `corner` kernel, on the same copy of A). Returns false
 * when WebAssembly is missing.
 */
export function concretiseWasm(A: Float64Array, n: number, size: number, mid: Float64Array, rad: Float64Array, box: Int32Array, lb: Float64Array, corner?: Float64Array): boolean {
  if (!load()) return false;
  // only the boxes these rows read are copied in, renumbered in order of first use
  const { local, idx } = localBoxes(box, n);
  const rows = n + (n & 1);
  const aAt = top;
  const midAt = align(aAt + rows * size * 8);
  const radAt = align(midAt + local.size * size * 8);
  const boxAt = align(radAt + local.size * size * 8);
  const lbAt = align(boxAt + rows * 4);
  ensure(lbAt + rows * 8);
  const buf = kernel!.memory.buffer;
  const a = new Float64Array(buf, aAt, rows * size);
  a.set(A.subarray(0, n * size));
  if (rows > n) a.fill(0, n * size);
  copyBoxes(buf, local, mid, rad, size, midAt, radAt);
  new Int32Array(buf, boxAt, rows).set(idx.subarray(0, rows));
  const l = new Float64Array(buf, lbAt, rows);
  l.set(lb.subarray(0, n));
  kernel!.concretise(aAt, rows, size, midAt, radAt, boxAt, lbAt);
  lb.set(l.subarray(0, n));
  if (corner) {
    // the corner rows above the call's other scratch
    const outAt = align(lbAt + rows * 8);
    ensure(outAt + n * size * 8);
    kernel!.corner(aAt, n, size, midAt, radAt, boxAt, outAt);
    corner.set(new Float64Array(kernel!.memory.buffer, outAt, n * size));
  }
  return true;
}
