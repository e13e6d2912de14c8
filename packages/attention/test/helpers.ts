// Test helpers: a device per file, seeded [B, H, L, D] host tensors, uploads and max-error checks.
import { createDevice } from '@cleardit/tensor/node';
import { type Device, type Tensor, tensor, normalValues, ref } from '@cleardit/tensor';

let device: Promise<Device> | undefined;
export const getDevice = () => (device ??= createDevice());

export function randHost(shape: number[], seed: number, scale = 1): ref.HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return ref.host(
    shape,
    Array.from(normalValues(seed, n), (x) => Math.fround(x * scale)),
  );
}

export const up = (d: Device, h: ref.HostTensor): Tensor => tensor(d, h.data, h.shape);

/** Max |got − want| relative to max |want| (the golden README's tolerance convention). */
export async function relErr(got: Tensor, want: ref.HostTensor): Promise<{ abs: number; rel: number }> {
  const g = await got.toArray();
  let abs = 0;
  let scale = 0;
  for (let i = 0; i < g.length; i++) {
    abs = Math.max(abs, Math.abs(g[i] - want.data[i]));
    scale = Math.max(scale, Math.abs(want.data[i]));
  }
  return { abs, rel: abs / (scale || 1) };
}
