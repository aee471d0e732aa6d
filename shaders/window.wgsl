// Window geometry of the pooling and convolution kernels (pool, relax, pool_back, conv_back,
// ibp_gemm's implicit Conv2d), included by them: it reads their `p` (H, W, OH, OW, KH, KW, SH,
// SW, PT, PL), as src/bounds/ops/window.ts does on the CPU. Offsets are within one channel.

// Input offset iy·W + ix that output (oy, ox) reads at tap (ky, kx), or -1 in the padding.
fn window_input(oy: u32, ox: u32, ky: u32, kx: u32) -> i32 {
  let iy = i32(oy * p.SH + ky) - i32(p.PT);
  let ix = i32(ox * p.SW + kx) - i32(p.PL);
  if (iy < 0 || ix < 0 || iy >= i32(p.H) || ix >= i32(p.W)) { return -1; }
  return iy * i32(p.W) + ix;
}

// Output offset oy·OW + ox whose window reads input (iy, ix) at tap (ky, kx), or -1 when no
// window does (the transposed map, for the backward gathers).
fn window_output(iy: u32, ix: u32, ky: u32, kx: u32) -> i32 {
  let ty = i32(iy + p.PT) - i32(ky);
  let tx = i32(ix + p.PL) - i32(kx);
  if (ty < 0 || tx < 0 || u32(ty) % p.SH != 0u || u32(tx) % p.SW != 0u) { return -1; }
  let oy = u32(ty) / p.SH; let ox = u32(tx) / p.SW;
  if (oy >= p.OH || ox >= p.OW) { return -1; }
  return i32(oy * p.OW + ox);
}

// Element e of a backward gather (one thread per (row, input element)).
struct InputElement { row: u32, c: u32, iy: u32, ix: u32 };
fn input_element(e: u32) -> InputElement {
  let hw = p.H * p.W;
  let rem = e % (p.C * hw);
  return InputElement(e / (p.C * hw), rem / hw, (rem % hw) / p.W, rem % p.W);
}
