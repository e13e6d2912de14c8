// Test helpers: one device per file, golden files through the safetensors reader, host arrays.
import { fileURLToPath } from 'node:url';
import { createDevice, FileSource } from '@cleardit/tensor/node';
import { type Device, SafetensorsReader } from '@cleardit/tensor';

let device: Promise<Device> | undefined;
export const getDevice = () => (device ??= createDevice());

export const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

export async function readGolden(name: string): Promise<SafetensorsReader> {
  return SafetensorsReader.open(await FileSource.open(fixture(name)));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
