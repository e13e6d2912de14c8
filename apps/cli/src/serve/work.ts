// The work behind a job, the same in `cleardit serve` and `cleardit worker`: a request checked against
// the model it names (from the file's header alone, so a server that hands jobs to workers needs no
// weights), turned into a GenerateSpec, and run through a pipeline kept loaded per model.
import type { Device } from '@cleardit/tensor';
import { DitTransformer, detect, type DitConfig } from '@cleardit/models';
import { openCheckpoint } from '@cleardit/models/node';
import { encodePng } from '../generate/png.js';
import { bundledModel, type GenerateSpec } from '../generate/spec.js';
import { loadPipeline, pngText, runPipeline, type Pipeline } from '../generate/pipeline.js';
import type { Reporter } from '../generate/progress.js';
import type { JobResult } from './jobs.js';
import { type GenerationRequest, type Limits, RequestError, modelIds, modelPath, specOf } from './requests.js';

/** A validated request: the model it runs on and the spec `cleardit generate` would build. */
export interface Prepared {
  modelId: string;
  spec: GenerateSpec;
}

/** Checks a request against the models folder and the model's config (header only); 4xx otherwise. */
export async function prepare(modelsDir: string, defaultModel: string, body: GenerationRequest, limits: Limits): Promise<Prepared> {
  const modelId = body.model ?? defaultModel;
  if (!modelIds(modelsDir).includes(modelId)) throw new RequestError('model', `model '${modelId}' is not served here (GET /v1/models lists them)`, 404);
  const path = modelPath(modelsDir, modelId);
  const src = await openCheckpoint(path);
  const det = detect(src);
  const pixels = det.family === 'dit' && src.metadata.prediction === 'flow';
  await src.close();
  const c = det.family === 'dit' ? (det.config as DitConfig) : undefined;
  const seed = body.seed ?? Math.floor(Math.random() * 2 ** 32);
  const spec = specOf(body, bundledModel(modelId) === path ? modelId : path, c?.numClasses, seed, limits);
  if (pixels && c) {
    // what the digit pipeline would refuse once queued, refused now as a 400
    const [w, h] = [spec.width ?? c.inputSize, spec.height ?? spec.width ?? c.inputSize];
    if (w !== h || w % c.patchSize)
      throw new RequestError('size', `size ${w}x${h}: this model draws square images, a multiple of ${c.patchSize} pixels a side`);
  } else if (det.family === 'dit')
    throw new RequestError('model', `model '${modelId}' works in a latent space and needs a VAE, which the server does not pair yet; serve a digit model`);
  return { modelId, spec };
}

/** Runs prepared requests on one device, keeping each model's pipeline loaded. */
export class ModelHost {
  private readonly pipelines = new Map<string, Promise<Pipeline>>();

  constructor(
    readonly device: Device,
    readonly modelsDir: string,
  ) {}

  private pipeline(id: string): Promise<Pipeline> {
    let p = this.pipelines.get(id);
    if (!p) {
      this.pipelines.set(id, (p = loadPipeline(this.device, { model: modelPath(this.modelsDir, id) })));
      p.catch(() => this.pipelines.delete(id));
    }
    return p;
  }

  async run(job: Prepared, progress: (step: number, total: number) => void, signal: AbortSignal): Promise<JobResult> {
    const p = await this.pipeline(job.modelId);
    if (!(p.transformer.model instanceof DitTransformer)) throw new RequestError('model', `model '${job.modelId}' is not class-conditional`);
    const report: Reporter = { info() {}, start() {}, step: (step, total) => progress(step, total), done() {} };
    const g = await runPipeline(this.device, p, job.spec, report, signal);
    g.latent?.dispose();
    const seeds = g.pictures.map((_, i) => job.spec.seed + i);
    return { seeds, images: g.pictures.map((px, i) => encodePng(px, g.width, g.height, pngText(this.device, p, job.spec, g, seeds[i], 1), g.channels)) };
  }

  async dispose(): Promise<void> {
    for (const p of this.pipelines.values()) (await p.catch(() => undefined))?.dispose();
    this.pipelines.clear();
  }
}
