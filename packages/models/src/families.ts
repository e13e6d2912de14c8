// The model families cleardit loads, listed once. The loader (checkpoint.ts detect, model.ts
// loadModel) and the command line (inspect's help, generate's --model help, its preset and --vae
// checks) iterate this list; a new family is its folder (see family.ts) and one line here.
import type { ModelFamily } from './family.js';
import { fluxFamily } from './flux/family.js';
import { ditFamily } from './dit/family.js';
import { vaeFamily } from './vae/family.js';

export const MODEL_FAMILIES = [fluxFamily, ditFamily, vaeFamily] as const;

type Known = (typeof MODEL_FAMILIES)[number];
export type Family = Known['name'];
export type Naming = NonNullable<ReturnType<Known['naming']>>;
export type FamilyConfig = ReturnType<Known['config']>;
export type Model = ReturnType<Known['create']>;
/** Any family, its config and network widened to the unions (what code iterating the registry sees). */
export type AnyFamily = ModelFamily<Family, Naming, FamilyConfig, Model>;

const families: readonly AnyFamily[] = MODEL_FAMILIES;

/** The family of that name (a name from a Detected, or from the registry's own list). */
export function familyNamed(name: Family): AnyFamily {
  return families.find((f) => f.name === name)!;
}

/** Every family's named configs, by preset name ('flux-dev', 'dit-xl-2-256', 'sd-vae', …). */
export function modelPresets(): { name: string; family: AnyFamily }[] {
  return families.flatMap((family) => Object.keys(family.presets).map((name) => ({ name, family })));
}

/** How messages list what cleardit knows: "FLUX, DiT or a VAE decoder". */
export const familyLabels = (): string => {
  const labels = families.map((f) => (f.role === 'autoencoder' ? `a ${f.label}` : f.label));
  return `${labels.slice(0, -1).join(', ')} or ${labels[labels.length - 1]}`;
};
