// Latent resizing on the GPU (for upscaling without a VAE encoder: generate low, resize the latent,
// refine with img2img). [..., H, W] → [..., H', W'], PyTorch's F.interpolate semantics:
//   nearest:  src = ⌊dst·in/out⌋ (computed in integers: exact, where torch's float32 scale can be off by one)
//   bilinear: src = (dst + ½)·in/out − ½, clamped at 0 (align_corners = False), no antialiasing.
// The sizes are baked into the WGSL, like every cleardit kernel. Reference: resize.ref.ts.

import { Tensor, ShapeError, DTypeError, f32Lit, defineKernel } from '@cleardit/tensor';

export type ResizeMode = 'nearest' | 'bilinear';

/**
 * Resizes the last two axes of an f32 tensor (e.g. an unpacked latent [B, C, H, W]) to height × width.
 * Returns a new tensor. For FLUX, unpack first (unpackFluxLatent) and keep H, W even to pack again.
 */
export function resizeLatent(x: Tensor, height: number, width: number, mode: ResizeMode = 'bilinear'): Tensor {
  const op = 'resizeLatent';
  if (x.dtype !== 'f32') throw new DTypeError(op, `expects f32, got ${x.dtype}`);
  if (x.rank < 2) throw new ShapeError(op, `expects [..., H, W], got [${x.shape.join(', ')}]`);
  if (![height, width].every((n) => Number.isInteger(n) && n >= 1)) throw new ShapeError(op, `target ${height}×${width} is not a positive size`);
  if (mode !== 'nearest' && mode !== 'bilinear') throw new ShapeError(op, `unknown mode '${String(mode)}'`);
  const [h, w] = x.shape.slice(-2);
  if (h === 0 || w === 0) throw new ShapeError(op, `cannot resize an empty ${h}×${w} plane`);
  const out = Tensor.empty(x.device, [...x.shape.slice(0, -2), height, width]);
  const index = `
  let plane = i / ${height * width}u;
  let r = i % ${height * width}u;
  let oy = r / ${width}u;
  let ox = r % ${width}u;
  let base = plane * ${h * w}u;`;
  const body =
    mode === 'nearest'
      ? `
  let sy = min((oy * ${h}u) / ${height}u, ${h - 1}u);
  let sx = min((ox * ${w}u) / ${width}u, ${w - 1}u);
  O[i] = X[base + sy * ${w}u + sx];`
      : `
  let fy = max((f32(oy) + 0.5) * ${f32Lit(h / height)} - 0.5, 0.0);
  let fx = max((f32(ox) + 0.5) * ${f32Lit(w / width)} - 0.5, 0.0);
  let y0 = min(u32(fy), ${h - 1}u);
  let x0 = min(u32(fx), ${w - 1}u);
  let y1 = min(y0 + 1u, ${h - 1}u);
  let x1 = min(x0 + 1u, ${w - 1}u);
  let ly = fy - f32(y0);
  let lx = fx - f32(x0);
  let top = (1.0 - lx) * X[base + y0 * ${w}u + x0] + lx * X[base + y0 * ${w}u + x1];
  let bot = (1.0 - lx) * X[base + y1 * ${w}u + x0] + lx * X[base + y1 * ${w}u + x1];
  O[i] = (1.0 - ly) * top + ly * bot;`;
  defineKernel({ name: `resize_${mode}`, inputs: { X: 'f32' }, outputs: { O: 'f32' }, each: 'thread', body: `${index}${body}` }).launch(x.device, {
    inputs: [x.buffer],
    outputs: [out.buffer],
    count: out.numel,
  });
  return out;
}
