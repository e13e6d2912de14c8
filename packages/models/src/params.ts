// A model's parameters declared once, as a typed tree named after the checkpoint: nested objects and
// arrays whose leaves are `Param`s (shapes). A leaf's checkpoint key is its path joined by '.', array
// indices included (`transformer_blocks.3.attn1.to_out.0.weight`), so the key list (`paramKeys`), the
// loader's shape checks and the maps from other namings all come from the tree, and the forward reads
// the same tree bound to the loaded tensors (`bindParams`): a misspelt name does not compile.
import type { Tensor } from '@cleardit/tensor';
import type { Weights } from './weights.js';

/** One parameter: its shape. */
export class Param {
  readonly shape: readonly number[];
  constructor(...shape: number[]) {
    this.shape = shape;
  }
}

/** A parameter tree; `{}` holds a place without parameters (an activation between numbered layers). */
export type ParamTree = Param | readonly ParamTree[] | { readonly [name: string]: ParamTree | undefined };

/** The same tree with every Param read as its tensor. */
export type Bound<T> = T extends Param
  ? Tensor
  : T extends readonly unknown[]
    ? { readonly [I in keyof T]: Bound<T[I]> }
    : { readonly [K in keyof T]: Bound<T[K]> };

/** A Linear layer's parameters (PyTorch's [out, in] weight). */
export const linearParams = (out: number, inp: number) => ({ weight: new Param(out, inp), bias: new Param(out) });

/** Every leaf of the tree as [checkpoint key, shape], in declaration order; `prefix` names the tree's own path. */
export function paramEntries(tree: ParamTree, prefix = ''): [string, number[]][] {
  if (tree instanceof Param) return [[prefix, [...tree.shape]]];
  const out: [string, number[]][] = [];
  for (const [name, sub] of Object.entries(tree)) if (sub !== undefined) out.push(...paramEntries(sub, prefix ? `${prefix}.${name}` : name));
  return out;
}

/** The checkpoint keys and shapes a tree needs. */
export const paramKeys = (tree: ParamTree, prefix = ''): Map<string, number[]> => new Map(paramEntries(tree, prefix));

/**
 * The tree over loaded weights: each leaf reads its tensor from `weights` when the forward asks (so a
 * weight replaced later — a CLEAR student's trainable copy, row blocks — is the one read).
 */
export function bindParams<T extends ParamTree>(tree: T, weights: Weights, prefix = ''): Bound<T> {
  return bind(tree, weights, prefix) as Bound<T>;
}

function bind(tree: ParamTree, weights: Weights, prefix: string): unknown {
  const path = (name: string) => (prefix ? `${prefix}.${name}` : name);
  const out = (Array.isArray(tree) ? [] : {}) as Record<string, unknown>;
  for (const [name, sub] of Object.entries(tree)) {
    if (sub === undefined) continue;
    if (sub instanceof Param) Object.defineProperty(out, name, { get: () => weights.get(path(name)), enumerable: true });
    else out[name] = bind(sub, weights, path(name));
  }
  return Object.freeze(out);
}
