// test_scale
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
struct Params {
  count: u32,
  s: f32,
  offset: u32,
}
@group(0) @binding(2) var<uniform> P: Params;
@compute @workgroup_size(256, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= P.count) { return; }
  O[i] = A[i + P.offset] * P.s;
}
