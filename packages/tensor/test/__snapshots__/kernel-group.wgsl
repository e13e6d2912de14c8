// test_row_sum
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
struct Params {
  count: u32,
  len: u32,
}
@group(0) @binding(2) var<uniform> P: Params;
var<workgroup> red: array<f32, 64>;
fn wg_sum(v: f32, lid: u32, slot: u32) -> f32 {
  let o = slot * 64u;
  red[o + lid] = v;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[o + lid] = red[o + lid] + red[o + lid + s]; }
    workgroupBarrier();
  }
  let r = red[o];
  workgroupBarrier();
  return r;
}
fn wg_max(v: f32, lid: u32, slot: u32) -> f32 {
  let o = slot * 64u;
  red[o + lid] = v;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[o + lid] = max(red[o + lid], red[o + lid + s]); }
    workgroupBarrier();
  }
  let r = red[o];
  workgroupBarrier();
  return r;
}
@compute @workgroup_size(64, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= P.count) { return; }
  var acc: f32 = 0.0;
  for (var j = lid.x; j < P.len; j = j + 64u) { acc = acc + X[r * P.len + j]; }
  let t = wg_sum(acc, lid.x, 0u);
  if (lid.x == 0u) { O[r] = t; }
}
