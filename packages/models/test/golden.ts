// Reads a golden file (copied from ../shared/golden with its README into fixtures/) and compares.
import { fileURLToPath } from 'node:url';
import { SafetensorsReader, tensor, type Device, type Tensor } from '@cleardit/tensor';
import type { FluxInputs } from '../src/index.js';
import { FileSource } from '@cleardit/tensor/node';

export const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

export async function openGolden(name: string): Promise<SafetensorsReader> {
  return SafetensorsReader.open(await FileSource.open(fixture(name)));
}

export async function input(d: Device, r: SafetensorsReader, key: string): Promise<Tensor> {
  return tensor(d, await r.readF32(key), r.info(key).shape);
}

export function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return a.length === b.length ? m : Infinity;
}

/** The FLUX forward's inputs from a golden file (inputs named after BFL's forward arguments). */
export async function fluxInputs(d: Device, r: SafetensorsReader): Promise<FluxInputs> {
  return {
    img: await input(d, r, 'inputs.img'),
    imgIds: await r.readF32('inputs.img_ids'),
    txt: await input(d, r, 'inputs.txt'),
    txtIds: await r.readF32('inputs.txt_ids'),
    timesteps: Array.from(await r.readF32('inputs.timesteps')),
    y: await input(d, r, 'inputs.y'),
    guidance: Array.from(await r.readF32('inputs.guidance')),
  };
}
