// One way to write a kernel. A kernel is declared once — its storage bindings, its uniform
// parameters, module-scope helpers and the body of its entry point — and `defineKernel` writes the
// rest: the binding declarations in the order the Device binds them (inputs read-only, then outputs,
// then the parameter block), the `Params` struct, the entry point with every builtin, and the mapping
// from invocations to work items with the workgroup grid folded into 2-D past the adapter's
// 65,535-per-dimension limit. Nothing is dispatched for zero items.
//
// Runtime values (counts, sizes, scalars such as a sampler's step coefficients) travel in the
// parameter block, not in the WGSL text, so a kernel compiles once per variant however often its
// values change. What stays in the text is what makes a variant: types, unrolled block sizes, which
// operands exist. Callers memoise definitions by a short variant key (wgsl.ts `memo`).

import type { Device } from '../device/device.js';
import { ShapeError } from '../errors.js';

export type ParamType = 'u32' | 'i32' | 'f32';

/**
 * How invocations map to work:
 * - 'thread': one invocation per item; the body sees `i: u32` (< P.count) and must not use barriers.
 * - 'group': one workgroup per item; the body sees `r: u32` (< P.count, uniform across the group).
 * - 'grid': the caller gives the workgroup counts and the body reads the builtins itself.
 * Every body may read `gid`, `lid`, `wid` and `nwg` (global, local, workgroup ids and workgroup
 * counts, all vec3<u32>).
 */
export type KernelEach = 'thread' | 'group' | 'grid';

export interface KernelSpec {
  name: string;
  /** Read-only storage bindings in binding order: variable name → element type (`f32`, `vec4<f32>`, …). */
  inputs?: Readonly<Record<string, string>>;
  /** Read-write storage bindings, after the inputs. */
  outputs: Readonly<Record<string, string>>;
  /** Uniform parameters, read as `P.<name>`; 'thread' and 'group' kernels get `count` first. */
  params?: Readonly<Record<string, ParamType>>;
  /** Module-scope WGSL: helper functions, constants, workgroup memory. */
  prelude?: string;
  /** Invocations per workgroup (default 256 for 'thread', 64 for 'group'). */
  workgroupSize?: number | readonly [number, number];
  each: KernelEach;
  body: string;
}

export interface LaunchArgs {
  inputs?: readonly GPUBuffer[];
  outputs: readonly GPUBuffer[];
  /** Values of the declared params (`count` is filled from `count` below). */
  params?: Readonly<Record<string, number>>;
  /** Items, for 'thread' and 'group' kernels. */
  count?: number;
  /** Workgroups, for 'grid' kernels. */
  workgroups?: readonly [number, number?, number?];
}

export interface Kernel {
  readonly name: string;
  readonly code: string;
  readonly each: KernelEach;
  /** Records one dispatch. */
  launch(device: Device, args: LaunchArgs): void;
}

const ENTRY_BUILTINS =
  '@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, ' +
  '@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>';

/** Writes a kernel's WGSL and returns it with its launcher. Pure: the same spec gives the same text. */
export function defineKernel(spec: KernelSpec): Kernel {
  const inputs = Object.entries(spec.inputs ?? {});
  const outputs = Object.entries(spec.outputs);
  const params: [string, ParamType][] = [...(spec.each === 'grid' ? [] : [['count', 'u32'] as [string, ParamType]]), ...Object.entries(spec.params ?? {})];
  if (params.length > 64) throw new Error(`kernel ${spec.name}: ${params.length} parameters exceed the 256-byte block`);
  const ws = spec.workgroupSize ?? (spec.each === 'group' ? 64 : 256);
  const [wx, wy] = typeof ws === 'number' ? [ws, 1] : ws;
  for (const [n] of [...inputs, ...outputs])
    if (n === 'P' || n === 'Params') throw new Error(`kernel ${spec.name}: binding name '${n}' is the parameter block's`);
  const decl: string[] = [];
  let binding = 0;
  for (const [n, ty] of inputs) decl.push(`@group(0) @binding(${binding++}) var<storage, read> ${n}: array<${ty}>;`);
  for (const [n, ty] of outputs) decl.push(`@group(0) @binding(${binding++}) var<storage, read_write> ${n}: array<${ty}>;`);
  if (params.length) {
    decl.push(`struct Params {\n${params.map(([n, ty]) => `  ${n}: ${ty},`).join('\n')}\n}`);
    decl.push(`@group(0) @binding(${binding}) var<uniform> P: Params;`);
  }
  const head =
    spec.each === 'thread'
      ? `  let i = gid.x + gid.y * nwg.x * ${wx * wy}u;\n  if (i >= P.count) { return; }\n`
      : spec.each === 'group'
        ? `  let r = wid.x + wid.y * nwg.x;\n  if (r >= P.count) { return; }\n`
        : '';
  const code = `// ${spec.name}
${decl.join('\n')}
${spec.prelude ? `${spec.prelude.trim()}\n` : ''}@compute @workgroup_size(${wx}, ${wy})
fn main(${ENTRY_BUILTINS}) {
${head}${spec.body.replace(/^\n+/, '').replace(/\s+$/, '')}
}
`;
  const nIn = inputs.length;
  const nOut = outputs.length;
  const perGroup = spec.each === 'thread' ? wx * wy : 1;
  return {
    name: spec.name,
    code,
    each: spec.each,
    launch(device, args) {
      const ins = args.inputs ?? [];
      if (ins.length !== nIn || args.outputs.length !== nOut)
        throw new ShapeError(spec.name, `kernel binds ${nIn} inputs and ${nOut} outputs, got ${ins.length} and ${args.outputs.length}`);
      let workgroups: readonly [number, number?, number?];
      const values: Record<string, number> = { ...args.params };
      if (spec.each === 'grid') {
        if (!args.workgroups) throw new Error(`kernel ${spec.name}: a 'grid' kernel needs workgroups`);
        workgroups = args.workgroups;
      } else {
        const count = args.count ?? 0;
        if (count === 0) return;
        values.count = count;
        workgroups = foldGrid(device, Math.ceil(count / perGroup));
      }
      device.dispatch({
        name: spec.name,
        code,
        inputs: ins,
        outputs: args.outputs,
        workgroups,
        params: params.length ? packParams(spec.name, params, values) : undefined,
      });
    },
  };
}

/** `groups` workgroups as [x, y] with x ≤ the adapter's per-dimension limit. */
export function foldGrid(device: Device, groups: number): [number, number] {
  const max = device.limits.maxComputeWorkgroupsPerDimension;
  const x = Math.min(groups, max);
  return [Math.max(1, x), Math.ceil(groups / max)];
}

const scratch = new ArrayBuffer(256);
const asU32 = new Uint32Array(scratch);
const asI32 = new Int32Array(scratch);
const asF32 = new Float32Array(scratch);

function packParams(name: string, params: readonly [string, ParamType][], values: Readonly<Record<string, number>>): Uint32Array {
  params.forEach(([n, ty], k) => {
    const v = values[n];
    if (v === undefined || (Number.isNaN(v) && ty !== 'f32')) throw new Error(`kernel ${name}: parameter '${n}' is missing or not a number`);
    if (ty === 'f32') asF32[k] = v;
    else if (ty === 'i32') asI32[k] = v;
    else {
      if (!(v >= 0 && v <= 0xffffffff)) throw new ShapeError(name, `parameter '${n}' = ${v} does not fit a u32 (sizes past 2³² elements are not supported)`);
      asU32[k] = v;
    }
  });
  // uniform blocks are read in 16-byte units
  return asU32.slice(0, Math.ceil(params.length / 4) * 4);
}
