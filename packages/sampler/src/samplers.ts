// The samplers, by the names users type (`--sampler`, stable-diffusion.cpp's and diffusers' names):
// one registry that the CLI's choices, its checks and the pipelines read. A flow sampler integrates a
// velocity model over FLUX's schedule (FLUX, the digit models); a diffusion sampler runs DiT's
// ε-prediction loop. Adding one is its loop file and one line here (docs/architecture.md, "How to add").
import type { Tensor } from '@cleardit/tensor';
import { eulerFlow, type EulerFlowOptions } from './loops/euler.js';
import { heunFlow } from './loops/heun.js';

export interface SamplerInfo {
  /** One line for --help. */
  about: string;
  /** As PNG metadata names it (AUTOMATIC1111's "Sampler: Euler"). */
  label: string;
}

export interface FlowSampler extends SamplerInfo {
  /** Model calls for `steps` steps (for progress and cost estimates). */
  calls: (steps: number) => number;
  run: <C>(opts: EulerFlowOptions<C>) => Promise<Tensor>;
}

export const FLOW_SAMPLERS = {
  euler: { about: 'Euler, one model call per step (FLUX.1 reference)', label: 'Euler', calls: (n) => n, run: eulerFlow },
  heun: { about: "Heun's second-order method, two calls per step (one on the last)", label: 'Heun', calls: (n) => Math.max(0, 2 * n - 1), run: heunFlow },
} satisfies Record<string, FlowSampler>;

/** DiT's loops (loops/ddpm.ts, loops/ddim.ts); their options differ, so the DiT pipeline calls them by name. */
export const DIFFUSION_SAMPLERS = {
  ddpm: { about: 'ancestral DDPM (DiT reference)', label: 'DDPM' },
  ddim: { about: 'DDIM, deterministic at η = 0', label: 'DDIM' },
} satisfies Record<string, SamplerInfo>;

export type FlowSamplerName = keyof typeof FLOW_SAMPLERS;
export type DiffusionSamplerName = keyof typeof DIFFUSION_SAMPLERS;
export type SamplerName = FlowSamplerName | DiffusionSamplerName;

export const SAMPLER_NAMES = [...Object.keys(FLOW_SAMPLERS), ...Object.keys(DIFFUSION_SAMPLERS)] as SamplerName[];

export const isFlowSampler = (name: string): name is FlowSamplerName => Object.hasOwn(FLOW_SAMPLERS, name);
/** The metadata label of any sampler. */
export const samplerLabel = (name: SamplerName): string => (isFlowSampler(name) ? FLOW_SAMPLERS[name] : DIFFUSION_SAMPLERS[name]).label;

export const isDiffusionSampler = (name: string): name is DiffusionSamplerName => Object.hasOwn(DIFFUSION_SAMPLERS, name);
