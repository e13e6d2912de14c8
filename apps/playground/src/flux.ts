// FLUX in the page: the user's own files, sorted by what they hold — a FLUX transformer (one file, or
// the shards of a diffusers folder's transformer/), its autoencoder (ae.safetensors or vae/), a
// conditioning file from `cleardit encode` (txt [T, ctx] and y [vec]), and optionally a distilled
// FLUX student (a transformer whose file names its CLEAR attention). Every file is read in ranges.
// The run is @cleardit/pipelines' sampleFlux, as `cleardit generate --embeddings` runs it.
import { type Device, SafetensorsReader, BlobSource } from '@cleardit/tensor';
import { FluxTransformer, VaeDecoder, ReaderSource, weightPrefix, loadModel, FULL, type AttentionMode } from '@cleardit/models';
import { unpackFluxLatent } from '@cleardit/sampler';
import { readConditioning, sampleFlux, vaeFactor, type FluxConditioning } from '@cleardit/pipelines';
import { median, type RunResult } from './run.js';

export interface FluxSet {
  teacher?: { flux: FluxTransformer; name: string };
  /** A distilled student (a FLUX file with `attention` metadata); without one, the teacher runs zero-shot with CLEAR. */
  student?: { flux: FluxTransformer; name: string; attention: AttentionMode };
  vae?: { vae: VaeDecoder; name: string };
  cond?: { cond: FluxConditioning; name: string };
}

/** Groups files: a folder's files by their subfolder (transformer/, vae/), single files alone. */
function groups(files: File[]): { name: string; files: File[] }[] {
  const byDir = new Map<string, File[]>();
  for (const f of files) {
    if (!f.name.endsWith('.safetensors')) continue;
    const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath ?? '';
    const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    const key = dir || f.name;
    byDir.set(key, [...(byDir.get(key) ?? []), f]);
  }
  return [...byDir].map(([name, fs]) => ({ name, files: fs }));
}

/** Loads what `files` hold into `set` (replacing a part of the same kind); returns what it found, for the page to say. */
export async function addFluxFiles(device: Device, set: FluxSet, files: File[]): Promise<string[]> {
  const found: string[] = [];
  for (const g of groups(files)) {
    const readers = await Promise.all(g.files.map((f) => SafetensorsReader.open(new BlobSource(f, f.name))));
    const keys = readers.flatMap((r) => r.keys());
    if (keys.includes('txt') && keys.includes('y') && readers.length === 1) {
      if (!set.teacher) throw new Error(`${g.name}: a conditioning file; load the FLUX transformer first (its widths check the file)`);
      set.cond?.cond.txt.dispose();
      set.cond?.cond.y.dispose();
      set.cond = { cond: await readConditioning(device, set.teacher.flux, readers[0], g.name), name: g.name };
      await readers[0].close();
      found.push(`conditioning ${g.name} (${set.cond.cond.T} text tokens)`);
      continue;
    }
    const src = new ReaderSource(g.name, readers, weightPrefix(keys));
    try {
      const { model } = await loadModel(device, src);
      if (model instanceof VaeDecoder) {
        set.vae?.vae.dispose();
        set.vae = { vae: model, name: g.name };
        found.push(`autoencoder ${g.name}`);
      } else if (model instanceof FluxTransformer) {
        if (src.metadata.attention) {
          set.student?.flux.dispose();
          set.student = { flux: model, name: g.name, attention: JSON.parse(src.metadata.attention) as AttentionMode };
          found.push(`FLUX student ${g.name}`);
        } else {
          set.teacher?.flux.dispose();
          set.teacher = { flux: model, name: g.name };
          found.push(`FLUX transformer ${g.name}`);
        }
      } else {
        model.dispose();
        throw new Error(`${g.name}: a DiT; load digit models with "Your teacher" / "Your student"`);
      }
    } finally {
      await src.close();
    }
  }
  return found;
}

/** The first three channels of a latent [1, C, side, side] as RGB [3, side, side], each channel stretched to [−1, 1]. */
function latentRgb(v: Float32Array, channels: number, side: number): Float32Array {
  const n = side * side;
  const rgb = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) {
    const ch = v.subarray((c % channels) * n, (c % channels) * n + n);
    let [lo, hi] = [Infinity, -Infinity];
    for (const x of ch) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
    for (let i = 0; i < n; i++) rgb[c * n + i] = hi > lo ? (2 * (ch[i] - lo)) / (hi - lo) - 1 : 0;
  }
  return rgb;
}

export const fluxReady = (s: FluxSet) => Boolean(s.teacher && s.vae && s.cond);

export interface FluxRun {
  size: number;
  seed: number;
  steps: number;
  guidance: number;
}

/**
 * One FLUX image with `flux` under `attention`; `onPreview` after each step with the first three latent
 * channels as RGB ([3, h, w], each channel scaled to its range), then `pictures` holds the decoded RGBA.
 */
export async function runFlux(
  device: Device,
  s: FluxSet,
  which: 'teacher' | 'student',
  attention: AttentionMode,
  r: FluxRun,
  onPreview: (rgb: Float32Array, h: number, w: number, step: number, total: number, ms: number) => void,
  signal: AbortSignal,
): Promise<RunResult & { rgba: Uint8Array }> {
  const flux = which === 'student' && s.student ? s.student.flux : s.teacher!.flux;
  flux.setAttention(which === 'teacher' ? FULL : attention);
  const t0 = performance.now();
  let last = t0;
  const stepTimes: number[] = [];
  const out = await sampleFlux(device, flux, s.vae!.vae, s.cond!.cond, {
    width: r.size,
    height: r.size,
    seeds: [r.seed],
    steps: r.steps,
    guidance: r.guidance,
    signal,
    onStep: async ({ step, total, latent }) => {
      const side = r.size / vaeFactor(s.vae!.vae); // the unpacked latent's side
      const unpacked = unpackFluxLatent(latent, side, side);
      const rgb = latentRgb(await unpacked.toFloat32(), unpacked.shape[1], side);
      unpacked.dispose();
      const now = performance.now();
      stepTimes.push(now - last);
      onPreview(rgb, side, side, step, total, now - t0);
      last = now;
    },
  });
  out.latent.dispose();
  const msTotal = performance.now() - t0;
  return {
    values: new Float32Array(0),
    rgba: out.pictures[0],
    msTotal,
    msPerStep: median(stepTimes.length > 1 ? stepTimes.slice(1) : stepTimes),
    msFirstStep: stepTimes[0],
  };
}
