// Each op is declared in one file, src/ops/<op>.ts: its kernel (`xKernel`), float64 reference
// (`xRef`), backward kernel (`xBackward`), backward reference (`xGradRef`) and the public op (`x`).
// This walks every file of src/ops and checks, by name, that the package's namespaces are made of
// those parts and nothing else:
// - every exported `xKernel` is an op (the package's `x` is that file's `x`, `raw.x` is `xKernel`),
//   unless it is one of the kernel generators below;
// - every op has its reference `ref.x` (the file's `xRef`), or is written with one that has
//   (SHORTHANDS: transpose is a permute, …);
// - every `xBackward` has its `xGradRef` beside it, and `ref.grad.x` is that;
// - every name of `raw`, `ref` and `ref.grad` is an op's part from these files (or an elementwise
//   kernel or reference, which the op tables unary-ops.ts and binary-ops.ts declare), and every `raw.x`
//   has a public `x` that is not the raw kernel.
// What the parts do is tested elsewhere: grad-reach.test.ts sends a gradient through every public op
// (so a public op that does not record fails there), the op tests hold each kernel to its reference
// and each backward to its reference and to finite differences.
import { describe, it, expect, beforeAll } from 'vitest';
import { readdirSync } from 'node:fs';
import * as T from '../src/index.js';

const OPS_DIR = new URL('../src/ops/', import.meta.url);
type Module = Record<string, unknown>;
const ns = (o: unknown) => o as Module;

/** Exported `…Kernel`s that build kernels for ops rather than being one. */
const KERNEL_GENERATORS = new Set(['define', 'row', 'map', 'cpuMatmul', 'tiledMatmul']);
/** Ops whose kernel is another op's (their reference is that op's). */
const SHORTHANDS: Record<string, string> = { transpose: 'permute', split: 'slice', sum: 'reduce', mean: 'reduce', max: 'reduce', gather: 'indexSelect' };
/** `ref` names that are not an op's reference: the host tensor's constructor and the gradients' namespace. */
const REF_HELPERS = new Set(['host', 'grad']);

const modules = new Map<string, Module>();
beforeAll(async () => {
  for (const f of readdirSync(OPS_DIR).filter((f) => f.endsWith('.ts') && f !== 'index.ts')) modules.set(f, (await import(new URL(f, OPS_DIR).href)) as Module);
});

const fns = (mod: Module) => Object.keys(mod).filter((k) => typeof mod[k] === 'function');
const stem = (name: string, suffix: string) => (name.endsWith(suffix) && name.length > suffix.length ? name.slice(0, -suffix.length) : undefined);
/** file → the ops it declares (those with an exported `xKernel`). */
const opsOf = (mod: Module) => fns(mod).flatMap((k) => (stem(k, 'Kernel') && !KERNEL_GENERATORS.has(stem(k, 'Kernel')!) ? [stem(k, 'Kernel')!] : []));

describe('each op is declared once, in its own file, and reachable in full', () => {
  it('the op files declare the ops', () => {
    const all = [...modules.values()].flatMap(opsOf);
    expect(all.length, 'ops found in src/ops').toBeGreaterThanOrEqual(25);
    expect(new Set(all).size, 'no op declared in two files').toBe(all.length);
  });

  it('every op file is complete: public op, raw kernel, reference, backward reference', () => {
    const problems: string[] = [];
    for (const [file, mod] of modules) {
      const has = (name: string) => typeof mod[name] === 'function';
      for (const op of opsOf(mod)) {
        if (!has(op)) problems.push(`${file}: ${op}Kernel has no public op ${op} beside it`);
        else if (ns(T)[op] !== mod[op]) problems.push(`the package's ${op} is not ${file}'s ${op}`);
        if (ns(T.raw)[op] !== mod[`${op}Kernel`]) problems.push(`raw.${op} is not ${file}'s ${op}Kernel`);
        const refOp = SHORTHANDS[op] ?? op;
        if (SHORTHANDS[op] === undefined && !has(`${op}Ref`)) problems.push(`${file}: ${op} has no float64 reference ${op}Ref`);
        if (typeof ns(T.ref)[refOp] !== 'function') problems.push(`ref.${refOp} (the reference of ${op}) is missing`);
        if (has(`${op}Ref`) && ns(T.ref)[op] !== mod[`${op}Ref`]) problems.push(`ref.${op} is not ${file}'s ${op}Ref`);
        if (has(`${op}Backward`) && !has(`${op}GradRef`)) problems.push(`${file}: ${op}Backward has no float64 reference ${op}GradRef`);
        if (has(`${op}GradRef`) && ns(T.ref.grad)[op] !== mod[`${op}GradRef`]) problems.push(`ref.grad.${op} is not ${file}'s ${op}GradRef`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('raw, ref and ref.grad hold the op files’ parts and nothing else', () => {
    const parts = (suffix: string) =>
      new Set(
        [...modules.values()].flatMap((mod) =>
          fns(mod)
            .filter((k) => k.endsWith(suffix))
            .map((k) => mod[k]),
        ),
      );
    const [kernels, refs, gradRefs] = [parts('Kernel'), parts('Ref'), parts('GradRef')];
    const elementwise = modules.get('elementwise.ts')!;
    const [ewRef, ewGradRef] = [modules.get('elementwise.ref.ts')!, modules.get('elementwise.grad.ref.ts')!];
    const problems: string[] = [];
    for (const [k, v] of Object.entries(ns(T.raw))) {
      if (!kernels.has(v) && elementwise[k] !== v) problems.push(`raw.${k} is neither an op file's kernel nor an elementwise kernel`);
      if (typeof ns(T)[k] !== 'function') problems.push(`raw.${k} has no public op ${k}`);
      else if (ns(T)[k] === v) problems.push(`the public ${k} is its raw kernel (it would drop gradients)`);
    }
    for (const [k, v] of Object.entries(ns(T.ref)))
      if (!REF_HELPERS.has(k) && !refs.has(v) && ewRef[k] !== v) problems.push(`ref.${k} is neither an op file's reference nor an elementwise one`);
    for (const [k, v] of Object.entries(ns(T.ref.grad)))
      if (!gradRefs.has(v) && ewGradRef[k] !== v) problems.push(`ref.grad.${k} is neither an op file's nor an elementwise one`);
    expect(problems).toEqual([]);
  });
});
