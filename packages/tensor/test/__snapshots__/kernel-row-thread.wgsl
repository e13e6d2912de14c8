// test_row_sum
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
struct Params {
  count: u32,
  len: u32,
}
@group(0) @binding(2) var<uniform> P: Params;

@compute @workgroup_size(64, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= P.count) { return; }
  let r = i;
  var acc: f32 = 0.0;
  for (var j = 0u; j < P.len; j = j + 1u) { acc = acc + X[r * P.len + j]; }
  let t = (acc);
  O[r] = t;
}
