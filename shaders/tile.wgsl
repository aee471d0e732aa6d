// The tiling ibp_gemm and back_gemm share, included by both: a 16×16 workgroup computes a
// (16·TM)×(16·TN) output tile, each thread a TM×TN block of it, stepping through the inner
// dimension TK at a time. Both stage the weight tile in tw ([k][n]); the row-side tiles are
// each kernel's own.
const TSM: u32 = 16u * TM;
const TSN: u32 = 16u * TN;
const TT: u32 = TM * TN;
const TK: u32 = 16u;
var<workgroup> tw: array<f32, TSN * TK>;

// First output row and column of workgroup gidx's tile, with `tilesN` tiles across.
fn tile_origin(gidx: u32, tilesN: u32) -> vec2u {
  return vec2u((gidx / tilesN) * TSM, (gidx % tilesN) * TSN);
}

// Element e of thread tid's share of a tile load, as (row, column) of a tile `width` columns
// wide: consecutive threads take consecutive columns, so a load reads along memory when the
// tile's columns are the source's contiguous index.
fn tile_slot(tid: u32, e: u32, width: u32) -> vec2u {
  let i = tid + e * 256u;
  return vec2u(i / width, i % width);
}

// The TN weights of thread column lx at inner step kk of the staged tile.
fn weight_row(kk: u32, lx: u32) -> array<f32, TN> {
  var wv: array<f32, TN>;
  for (var j = 0u; j < TN; j++) { wv[j] = tw[kk * TSN + lx * TN + j]; }
  return wv;
}
