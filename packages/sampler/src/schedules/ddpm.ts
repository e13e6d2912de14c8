// DiT's diffusion schedule (spec/sampler.md §2.1–2.2), as facebookresearch/DiT builds it: linear betas
// in float64, ᾱ as a running product, respacing to K steps (respace.py's space_timesteps), and the
// derived per-step coefficients of GaussianDiffusion. Plain float64 numbers; the loops (loops/ddpm.ts,
// loops/ddim.ts) bake them into GPU ops. Leaves out the quadratic/cosine betas DiT never uses.

/** numpy.linspace(start, stop, num) in float64: i·step + start, with the last value exactly stop. */
export function linspaceF64(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const out = Array.from({ length: num }, (_, i) => i * step + start);
  if (num > 1) out[num - 1] = stop;
  return out;
}

/** DiT's linear betas: linspace(1e-4·1000/T, 0.02·1000/T, T) in float64 (get_named_beta_schedule('linear')). */
export function linearBetas(numTimesteps = 1000): number[] {
  const scale = 1000 / numTimesteps;
  return linspaceF64(scale * 0.0001, scale * 0.02, numTimesteps);
}

/** Python's round(): to nearest, ties to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * respace.py's space_timesteps: which of the base process's timesteps to keep, sorted ascending.
 * `sections` is K (one section), a list of per-section counts, or a string: "250", "10,15,20", or
 * "ddimN" (an even stride that gives exactly N steps). Stride accumulation is repeated float addition
 * and rounding is half-to-even, as in Python: K = 250 gives 0, 4, …, 164, 169, …, 995, 999.
 */
export function spaceTimesteps(numTimesteps: number, sections: number | readonly number[] | string): number[] {
  if (typeof sections === 'string') {
    if (sections.startsWith('ddim')) {
      const want = Number(sections.slice(4));
      for (let i = 1; i < numTimesteps; i++) {
        if (Math.ceil(numTimesteps / i) === want) return Array.from({ length: want }, (_, k) => k * i);
      }
      throw new RangeError(`spaceTimesteps: cannot create exactly ${want} steps with an integer stride`);
    }
    sections = sections.split(',').map((s) => Number(s));
  }
  const counts = typeof sections === 'number' ? [sections] : [...sections];
  if (!counts.length || counts.some((c) => !Number.isInteger(c) || c < 0))
    throw new RangeError(`spaceTimesteps: section counts must be non-negative integers, got [${counts.join(', ')}]`);
  const sizePer = Math.floor(numTimesteps / counts.length);
  const extra = numTimesteps % counts.length;
  let start = 0;
  const all = new Set<number>();
  counts.forEach((count, i) => {
    const size = sizePer + (i < extra ? 1 : 0);
    if (size < count) throw new RangeError(`spaceTimesteps: cannot divide a section of ${size} steps into ${count}`);
    const stride = count <= 1 ? 1 : (size - 1) / (count - 1);
    let cur = 0.0;
    for (let k = 0; k < count; k++) {
      all.add(start + roundHalfEven(cur));
      cur += stride;
    }
    start += size;
  });
  return [...all].sort((a, b) => a - b);
}

/**
 * A (respaced) discrete diffusion process with GaussianDiffusion's derived arrays, index i = 0..K−1.
 * All arrays have length K. `timesteps[i]` is the original timestep S_i the model is called with.
 */
export interface DiffusionSchedule {
  /** Original timesteps S_i (the model's t input). */
  timesteps: number[];
  /** β'_i = 1 − ᾱ[S_i]/ᾱ[S_{i−1}]. */
  betas: number[];
  /** ᾱ'_i = cumprod(1 − β')_i (= ᾱ[S_i] up to rounding). */
  alphasCumprod: number[];
  /** ᾱ'_{i−1}, with ᾱ'_{−1} = 1. */
  alphasCumprodPrev: number[];
  /** √(1/ᾱ'_i) and √(1/ᾱ'_i − 1): x̂₀ = a·x − b·ε. */
  sqrtRecipAlphasCumprod: number[];
  sqrtRecipm1AlphasCumprod: number[];
  /** σ̃²_i = β'_i(1 − ᾱ'_{i−1})/(1 − ᾱ'_i). */
  posteriorVariance: number[];
  /** log σ̃², entry 0 replaced by entry 1 ("clipped"). */
  posteriorLogVarianceClipped: number[];
  /** Posterior mean μ = coef1·x̂₀ + coef2·x. */
  posteriorMeanCoef1: number[];
  posteriorMeanCoef2: number[];
}

export interface DiffusionScheduleOptions {
  /** Base process length T (default 1000). */
  numTimesteps?: number;
  /** Base betas (default DiT's linear betas for T). */
  betas?: readonly number[];
  /**
   * Steps to keep: K, a section list or string for space_timesteps (default: all T), or explicit sorted
   * timesteps via `useTimesteps`.
   */
  respacing?: number | readonly number[] | string;
  /** Explicit kept timesteps (ascending, unique); overrides `respacing`. */
  useTimesteps?: readonly number[];
}

/**
 * DiT's schedule as SpacedDiffusion builds it: base betas (linear 1e-4 → 0.02 over 1000), respaced
 * (`respacing: 250` is sample.py's default), then GaussianDiffusion's coefficients recomputed from the
 * new betas, all in float64. The returned arrays are indexed by the respaced step i; loops run i from
 * K − 1 down to 0 and call the model with `timesteps[i]`.
 */
export function diffusionSchedule(opts: DiffusionScheduleOptions = {}): DiffusionSchedule {
  const base = opts.betas ? [...opts.betas] : linearBetas(opts.numTimesteps ?? 1000);
  const T = base.length;
  if (opts.numTimesteps !== undefined && opts.numTimesteps !== T) throw new RangeError(`diffusionSchedule: ${T} betas for ${opts.numTimesteps} timesteps`);
  if (!T || base.some((b) => !(b > 0 && b <= 1))) throw new RangeError('diffusionSchedule: betas must be in (0, 1]');
  const keep = opts.useTimesteps ? [...opts.useTimesteps] : spaceTimesteps(T, opts.respacing ?? T);
  if (!keep.length || keep.some((s, i) => !Number.isInteger(s) || s < 0 || s >= T || (i > 0 && s <= keep[i - 1])))
    throw new RangeError(`diffusionSchedule: kept timesteps must be unique ascending integers in [0, ${T})`);
  const baseCumprod = cumprod(base.map((b) => 1 - b));
  const kept = new Set(keep);
  const betas: number[] = [];
  let last = 1.0;
  baseCumprod.forEach((ac, i) => {
    if (!kept.has(i)) return;
    betas.push(1 - ac / last);
    last = ac;
  });
  return fromBetas(betas, keep);
}

function cumprod(xs: number[]): number[] {
  let p = 1;
  return xs.map((x) => (p *= x));
}

/** GaussianDiffusion.__init__'s derived arrays for the given betas (float64). */
export function fromBetas(betas: readonly number[], timesteps?: readonly number[]): DiffusionSchedule {
  const K = betas.length;
  const alphas = betas.map((b) => 1 - b);
  const ac = cumprod(alphas);
  const acPrev = [1, ...ac.slice(0, -1)];
  const posteriorVariance = betas.map((b, i) => (b * (1 - acPrev[i])) / (1 - ac[i]));
  const posteriorLogVarianceClipped = K > 1 ? [Math.log(posteriorVariance[1]), ...posteriorVariance.slice(1).map(Math.log)] : [];
  return {
    timesteps: timesteps ? [...timesteps] : betas.map((_, i) => i),
    betas: [...betas],
    alphasCumprod: ac,
    alphasCumprodPrev: acPrev,
    sqrtRecipAlphasCumprod: ac.map((a) => Math.sqrt(1 / a)),
    sqrtRecipm1AlphasCumprod: ac.map((a) => Math.sqrt(1 / a - 1)),
    posteriorVariance,
    posteriorLogVarianceClipped,
    posteriorMeanCoef1: betas.map((b, i) => (b * Math.sqrt(acPrev[i])) / (1 - ac[i])),
    posteriorMeanCoef2: betas.map((_, i) => ((1 - acPrev[i]) * Math.sqrt(alphas[i])) / (1 - ac[i])),
  };
}
