// Where the playground's models come from: the bundled digit teacher and CLEAR student (static
// assets under models/), or a file the user picks. Either way the bytes are a Blob read in ranges
// (BlobSource), so a large file is never read whole; tensors go to the GPU one at a time.
import { type Device, SafetensorsReader, BlobSource } from '@cleardit/tensor';
import { ReaderSource, weightPrefix } from '@cleardit/models';
import { loadDigitModel, type DigitModel } from '@cleardit/pipelines';

export interface Slot extends DigitModel {
  /** The file's name, as the page shows it. */
  name: string;
}

/** The models the app ships (apps/cli/models, copied into the build by vite.config.ts). */
export const BUNDLED = { teacher: 'models/digit-teacher.safetensors', student: 'models/digit-clear-r4.safetensors' };

/** Loads a digit model from a Blob or File (a user's checkpoint) or from a fetched asset. */
export async function loadSlot(device: Device, blob: Blob, name: string): Promise<Slot> {
  const reader = await SafetensorsReader.open(new BlobSource(blob, name));
  const src = new ReaderSource(name, [reader], weightPrefix(reader.keys()));
  try {
    return { ...(await loadDigitModel(device, src)), name };
  } finally {
    await src.close();
  }
}

export async function fetchSlot(device: Device, url: string): Promise<Slot> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} (the bundled model is missing from this build)`);
  return loadSlot(device, await res.blob(), url.split('/').pop()!);
}
