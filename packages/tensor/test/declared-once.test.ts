// Each op is declared in one file, src/ops/<op>.ts: its kernel (`xKernel`), float64 reference
// (`xRef`), backward kernel (`xBackward`), backward reference (`xGradRef`) and the public op (`x`).
// This walks every file of src/ops and checks that the package's names are those: `x` is the file's
// public op, `raw.x` its kernel, `ref.x` its reference, `ref.grad.x` its backward reference, and that
// no part is missing (a kernel without its public op, a reference without a kernel, a backward kernel
// without its reference). So a new op file is reachable in full, or this fails naming what is not.
import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import * as T from '../src/index.js';

const OPS_DIR = new URL('../src/ops/', import.meta.url);
const files = readdirSync(OPS_DIR).filter((f) => f.endsWith('.ts') && f !== 'index.ts');

type Module = Record<string, unknown>;
const suffixed = (mod: Module, suffix: string) =>
  Object.keys(mod)
    .filter((k) => k.endsWith(suffix) && k.length > suffix.length && typeof mod[k] === 'function')
    .map((k) => k.slice(0, -suffix.length));
const ns = (o: unknown) => o as Module;

describe('each op is declared once, in its own file, and reachable in full', () => {
  it('finds the op files', () => {
    expect(files).toContain('softmax.ts');
    expect(files).toContain('matmul.ts');
  });

  for (const file of files)
    it(file, async () => {
      const mod = (await import(new URL(file, OPS_DIR).href)) as Module;
      const problems: string[] = [];
      const has = (name: string) => typeof mod[name] === 'function';
      for (const op of suffixed(mod, 'Kernel')) {
        if (!has(op)) continue; // a kernel generator of the file (tiledMatmulKernel, convKernel), not an op
        if (ns(T)[op] !== mod[op]) problems.push(`the package's ${op} is not ${file}'s ${op}`);
        if (ns(T.raw)[op] !== mod[`${op}Kernel`]) problems.push(`raw.${op} is not ${file}'s ${op}Kernel`);
      }
      for (const op of suffixed(mod, 'Ref').filter((n) => !n.endsWith('Grad'))) {
        if (!has(`${op}Kernel`) || !has(op)) continue; // a shared reference helper (normaliseRef)
        if (ns(T.ref)[op] !== mod[`${op}Ref`]) problems.push(`ref.${op} is not ${file}'s ${op}Ref`);
      }
      for (const op of suffixed(mod, 'GradRef')) {
        if (!has(`${op}Ref`)) continue;
        if (ns(T.ref.grad)[op] !== mod[`${op}GradRef`]) problems.push(`ref.grad.${op} is not ${file}'s ${op}GradRef`);
      }
      for (const op of suffixed(mod, 'Backward'))
        if (has(`${op}Kernel`) && !has(`${op}GradRef`)) problems.push(`${op}Backward has no float64 reference ${op}GradRef beside it`);
      const ops = suffixed(mod, 'Kernel').filter(has);
      if (ops.length && !ops.some((op) => has(`${op}Ref`))) problems.push(`${file} declares ops (${ops.join(', ')}) but no reference`);
      expect(problems, `${file}`).toEqual([]);
    });
});
