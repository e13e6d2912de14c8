// The measurements `cleardit eval` has finished, kept on disk as they complete so that a long
// evaluation (hours at 128² on llvmpipe) survives the end of a session: `<out>.parts/` holds, per
// resolution and model, the row as JSON and the drawn images (plus, for the teacher, its velocity
// predictions on the held-out inputs) as safetensors. `--resume` reads them back instead of measuring
// again; each part records what it was measured with, and a part measured differently is an error
// that names the difference rather than a silently mixed table. Leaves out the measuring (measure.ts).
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SafetensorsReader } from '@cleardit/tensor';
import { FileSource, writeFileAtomic, writeSafetensorsFile } from '@cleardit/tensor/node';
import { UsageError } from '../exit.js';

/** What a part was measured with; a resumed run must ask for exactly the same. */
export interface PartSettings {
  /** The model file (the teacher's for a zero-shot twin). */
  model: string;
  attention: string;
  samples: number;
  cfg: number;
  classifier: string;
}

export interface Part<Row> {
  settings: PartSettings;
  row: Row;
  /** Drawn images [samples, side, side] in [-1, 1]. */
  images: Float32Array;
  /** The teacher's velocity predictions on the held-out inputs (teacher parts only). */
  predictions?: Float32Array;
}

export class EvalParts<Row> {
  private constructor(readonly dir: string) {}

  /**
   * Opens `<out>.parts/`. A fresh run refuses an existing folder unless told to resume it or to
   * start over (`overwrite` removes it).
   */
  static open<Row>(out: string, mode: { resume: boolean; overwrite: boolean }): EvalParts<Row> {
    const dir = `${out}.parts`;
    if (existsSync(dir) && !mode.resume) {
      if (!mode.overwrite)
        throw new UsageError(`${dir} holds an earlier evaluation's measurements: pass --resume to continue it, or --overwrite to start over`);
      rmSync(dir, { recursive: true });
    }
    mkdirSync(dir, { recursive: true });
    return new EvalParts<Row>(dir);
  }

  private base(scale: number, slug: string): string {
    return join(this.dir, `${scale}x-${slug}`);
  }

  /** The part measured earlier, or undefined; an error when it was measured with other settings. */
  async get(scale: number, slug: string, want: PartSettings): Promise<Part<Row> | undefined> {
    const base = this.base(scale, slug);
    if (!existsSync(`${base}.json`) || !existsSync(`${base}.safetensors`)) return undefined;
    const saved = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as { settings: PartSettings; row: Row };
    for (const k of Object.keys(want) as (keyof PartSettings)[])
      if (saved.settings[k] !== want[k])
        throw new UsageError(
          `${base}.json was measured with ${k} ${JSON.stringify(saved.settings[k])}, this run asks for ${JSON.stringify(want[k])}: ` +
            'run with the same settings, choose another -o, or pass --overwrite instead of --resume',
        );
    const r = await SafetensorsReader.open(await FileSource.open(`${base}.safetensors`));
    try {
      return {
        ...saved,
        images: await r.readF32('images'),
        predictions: r.has('predictions') ? await r.readF32('predictions') : undefined,
      };
    } finally {
      await r.close();
    }
  }

  /** Writes a part (arrays first, then the JSON that marks it complete), each file atomically. */
  async put(scale: number, slug: string, side: number, part: Part<Row>): Promise<void> {
    const base = this.base(scale, slug);
    const n = part.images.length / (side * side);
    const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {
      images: { dtype: 'F32', shape: [n, side, side], data: part.images },
    };
    if (part.predictions) tensors.predictions = { dtype: 'F32', shape: [part.predictions.length], data: part.predictions };
    await writeSafetensorsFile(`${base}.safetensors`, tensors, undefined, { overwrite: true });
    await writeFileAtomic(`${base}.json`, new TextEncoder().encode(JSON.stringify({ settings: part.settings, row: part.row }, null, 2)), { overwrite: true });
  }
}
