// The arithmetic the error bounds rely on, checked on the device once per engine (src/kernels/
// fp-check.ts): for each pair (a, b), TwoSum's (s, e) (s + e = a + b exactly needs correctly
// rounded f32 addition and no reassociation by the compiler), the 12-bit cut hi12 (a − hi12(a)
// exact) and the product hi12(a)·hi12(b) (exact: 12 + 12 significant bits).
struct P { n: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> ab: array<f32>;
@group(0) @binding(2) var<storage, read_write> res: array<f32>;


@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= p.n) { return; }
  let a = ab[2u * i]; let b = ab[2u * i + 1u];
  let t = two_sum(a, b);
  let ah = hi12(a); let bh = hi12(b);
  res[5u * i] = t.x;
  res[5u * i + 1u] = t.y;
  res[5u * i + 2u] = ah;
  res[5u * i + 3u] = a - ah;
  res[5u * i + 4u] = ah * bh;
}
