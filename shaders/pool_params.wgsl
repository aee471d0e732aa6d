// The parameters pool and pool_back share (the host passes both the same words): the thread
// count, the window (window.wgsl) and whether an average counts padded positions.
struct P { total: u32, C: u32, H: u32, W: u32, OH: u32, OW: u32, KH: u32, KW: u32, SH: u32, SW: u32, PT: u32, PL: u32, inclPad: u32 };
@group(0) @binding(0) var<uniform> p: P;
