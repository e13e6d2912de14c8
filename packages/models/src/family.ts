// What a model family is: everything the loader, `inspect`, `check` and `generate` need to know of one
// kind of checkpoint, in one object — how to recognise its names, its config (from metadata or from
// shapes) and the rules the config must keep, the keys and shapes it needs, where each comes from in
// the file, and how to build the network. The families are listed once, in families.ts; adding one
// is its folder (config, keys, network, family.ts) and one line there.
import type { Device } from '@cleardit/tensor';
import type { KeyMap } from './mapping.js';
import type { TensorSource } from './source.js';
import type { Weights } from './weights.js';
import type { ClearTrainingPlan } from './clear-student.js';

/** What a family reads off a checkpoint to describe it. */
export interface FamilyInput {
  source: TensorSource;
  keys: Set<string>;
  /** The shape of a key; a missing key is an error that names it. */
  shape: (key: string) => readonly number[];
  /** The file's __metadata__.config, parsed, when it has one. */
  meta: Record<string, unknown> | undefined;
}

export interface ModelFamily<Name extends string, Naming extends string, Config, Network> {
  readonly name: Name;
  /** How messages name it: "FLUX", "DiT", "VAE decoder". */
  readonly label: string;
  /** A transformer denoises (generate's --model); an autoencoder decodes latents (--vae). */
  readonly role: 'transformer' | 'autoencoder';
  /** The naming conventions it reads (diffusers', the original authors', …), as `naming` returns them. */
  readonly namings: readonly Naming[];
  /** Configs cleardit knows by name (plain data). */
  readonly presets: Readonly<Record<string, Config>>;
  /** Which naming the keys use, or undefined when they are not this family's. */
  naming(keys: Set<string>): Naming | undefined;
  /** The config of a checkpoint of this family: its metadata's when it has one, else inferred from shapes. */
  config(input: FamilyInput, naming: Naming, hint?: Partial<Config>): Config;
  /** Throws a ConfigError naming the field and the rule a config breaks. */
  check(config: Config): void;
  /** Canonical key → the shape the network needs. */
  expected(config: Config): Map<string, number[]>;
  /**
   * What a CLEAR student of this family trains, for families one can be distilled from; the loader
   * then also expects the plan's pooling maps where a file has them (a student with a down factor).
   */
  clearPlan?(config: Config): ClearTrainingPlan;
  /** Canonical key → where it comes from in a file with this naming. */
  map(config: Config, naming: Naming, keys: Set<string>): KeyMap;
  /** Known tensors that are not loaded (duplicates, fixed tables); none when absent. */
  ignore?(keys: Set<string>): Set<string>;
  /** The network over loaded weights (the config checked). */
  create(device: Device, config: Config, weights: Weights): Network;
}
