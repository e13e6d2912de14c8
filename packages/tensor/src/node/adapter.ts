// Node: choosing a WebGPU adapter through Dawn (the `webgpu` package).
// Order for 'auto': a hardware adapter through Vulkan (or Metal/D3D12 where Dawn defaults to them);
// then Mesa llvmpipe through Dawn's OpenGL backend (the fastest software path on Linux); then
// SwiftShader through Vulkan, using the ICD file Debian's chromium ships. Every probe is reported,
// so `cleardit device` can say what was found, what was chosen, and why.

import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { create } from 'webgpu';
import { Device, type AdapterDescription } from '../device/device.js';
import { describeAdapter } from '../device/describe.js';
import { AdapterError } from '../errors.js';

export const SWIFTSHADER_ICDS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib64/chromium/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
];

export type AdapterKind = 'hardware' | 'llvmpipe' | 'swiftshader';

export interface AdapterProbe {
  kind: AdapterKind;
  backend: string;
  found: boolean;
  description?: AdapterDescription;
  features?: string[];
  limits?: Record<string, number>;
  /** Why this probe found nothing, when it did not. */
  missing?: string;
}

interface Probed extends AdapterProbe {
  adapter?: GPUAdapter;
  gpu?: GPU;
}

function prepareEnv(): void {
  // Mesa's EGL needs a platform without a display; Vulkan loaders complain without a runtime dir.
  process.env.EGL_PLATFORM ??= 'surfaceless';
  process.env.XDG_RUNTIME_DIR ??= tmpdir();
}

async function probe(kind: AdapterKind): Promise<Probed> {
  prepareEnv();
  try {
    if (kind === 'llvmpipe') {
      const gpu = create(['backend=opengl']);
      const adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' });
      if (!adapter) return { kind, backend: 'opengl', found: false, missing: 'no OpenGL adapter (install libegl1 libegl-mesa0 libgl1-mesa-dri)' };
      return found(kind, 'opengl', gpu, adapter, 'compatibility');
    }
    if (kind === 'swiftshader') {
      const icd = process.env.VK_ICD_FILENAMES?.includes('swiftshader') ? process.env.VK_ICD_FILENAMES : SWIFTSHADER_ICDS.find((f) => existsSync(f));
      if (!icd) return { kind, backend: 'vulkan', found: false, missing: 'no vk_swiftshader_icd.json (install chromium and libvulkan1)' };
      const saved = process.env.VK_ICD_FILENAMES;
      process.env.VK_ICD_FILENAMES = icd;
      try {
        const gpu = create(['backend=vulkan']);
        const adapter = await gpu.requestAdapter({ featureLevel: 'core' });
        if (!adapter) return { kind, backend: 'vulkan', found: false, missing: `SwiftShader did not load from ${icd} (is libvulkan1 installed?)` };
        return found(kind, 'vulkan', gpu, adapter, 'core');
      } finally {
        if (saved === undefined) delete process.env.VK_ICD_FILENAMES;
        else process.env.VK_ICD_FILENAMES = saved;
      }
    }
    // hardware: Dawn's default backend for the platform (Vulkan on Linux, Metal on macOS, D3D12 on Windows)
    if (process.platform === 'linux') {
      const icd = hardwareVulkanDriver();
      // without a driver file the Vulkan loader only prints errors; say so instead of asking it
      if (!icd) return { kind, backend: 'vulkan', found: false, missing: `no hardware adapter (no Vulkan driver file in ${VULKAN_ICD_DIRS.join(', ')})` };
    }
    const gpu = create(process.platform === 'linux' ? ['backend=vulkan'] : []);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return { kind, backend: 'vulkan', found: false, missing: 'no hardware adapter (no GPU driver visible to Vulkan)' };
    const p = found(kind, process.platform === 'linux' ? 'vulkan' : 'native', gpu, adapter, 'core');
    if (p.description?.software)
      return { kind, backend: p.backend, found: false, missing: `only a software Vulkan driver (${p.description.name}) was visible` };
    return p;
  } catch (e) {
    return { kind, backend: kind === 'llvmpipe' ? 'opengl' : 'vulkan', found: false, missing: (e as Error).message };
  }
}

/** Where Vulkan loaders look for driver (ICD) manifests on Linux, NVIDIA containers' folder included. */
export const VULKAN_ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/local/nvidia/share/vulkan/icd.d'];

/** A hardware Vulkan driver manifest (not SwiftShader's, not lavapipe's), or why we think there is one. */
function hardwareVulkanDriver(): string | undefined {
  for (const v of ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES', 'VK_ADD_DRIVER_FILES']) {
    const f = process.env[v];
    if (f && !f.includes('swiftshader')) return f;
  }
  const dirs = [
    ...VULKAN_ICD_DIRS,
    ...(process.env.XDG_DATA_DIRS ?? '')
      .split(':')
      .filter(Boolean)
      .map((d) => `${d}/vulkan/icd.d`),
  ];
  for (const dir of dirs) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    const hw = names.find((n) => n.endsWith('.json') && !/swiftshader|lvp|lavapipe/.test(n));
    if (hw) return `${dir}/${hw}`;
  }
  return undefined;
}

function found(kind: AdapterKind, backend: string, gpu: GPU, adapter: GPUAdapter, fl: 'core' | 'compatibility'): Probed {
  const limits: Record<string, number> = {};
  const lim = adapter.limits as unknown as Record<string, number>;
  for (const k in lim) if (typeof lim[k] === 'number') limits[k] = lim[k];
  return {
    kind,
    backend,
    found: true,
    gpu,
    adapter,
    description: describeAdapter(adapter, backend, fl, kind),
    features: [...(adapter.features as unknown as Iterable<string>)].sort(),
    limits,
  };
}

export const ADAPTER_KINDS: AdapterKind[] = ['hardware', 'llvmpipe', 'swiftshader'];

/** Probes every kind of adapter (for reports). Each probe gets its own Dawn instance. */
export async function probeAdapters(): Promise<AdapterProbe[]> {
  const out: AdapterProbe[] = [];
  for (const k of ADAPTER_KINDS) {
    const { adapter: _a, gpu: _g, ...rest } = await probe(k);
    out.push(rest);
  }
  return out;
}

export interface CreateDeviceOptions {
  /**
   * 'auto' (default), 'hardware', 'llvmpipe', 'swiftshader', 'vulkan' (hardware or SwiftShader),
   * 'opengl' (llvmpipe), or any text found in the adapter's name or description.
   * Defaults to the CLEARDIT_ADAPTER environment variable.
   */
  adapter?: string;
  /** Force the kernel variants ('hardware' or 'software'; default: the adapter's kind, or CLEARDIT_KERNELS). */
  kernels?: 'hardware' | 'software';
}

function kindsFor(want: string): AdapterKind[] {
  switch (want) {
    case 'auto':
      return ['hardware', 'llvmpipe', 'swiftshader'];
    case 'hardware':
    case 'gpu':
      return ['hardware'];
    case 'llvmpipe':
    case 'opengl':
    case 'gl':
      return ['llvmpipe'];
    case 'swiftshader':
      return ['swiftshader'];
    case 'vulkan':
      return ['hardware', 'swiftshader'];
    default:
      return ADAPTER_KINDS;
  }
}

/** Creates a Device on the adapter asked for (or the best one found), saying why it was chosen. */
export async function createDevice(options: CreateDeviceOptions = {}): Promise<Device> {
  const want = (options.adapter ?? process.env.CLEARDIT_ADAPTER ?? 'auto').trim().toLowerCase() || 'auto';
  const named = !['auto', 'hardware', 'gpu', 'llvmpipe', 'opengl', 'gl', 'swiftshader', 'vulkan'].includes(want);
  const tried: string[] = [];
  for (const kind of kindsFor(want)) {
    const p = await probe(kind);
    if (!p.found || !p.adapter || !p.description) {
      tried.push(`${kind}: ${p.missing}`);
      continue;
    }
    const d = p.description;
    if (named && !`${d.name} ${d.description} ${d.vendor}`.toLowerCase().includes(want)) {
      tried.push(`${kind}: ${d.name} does not match '${want}'`);
      continue;
    }
    d.reason =
      want === 'auto'
        ? kind === 'hardware'
          ? 'hardware adapter found'
          : `${tried.join('; ')}; ${kind} is the ${kind === 'llvmpipe' ? 'fastest' : 'remaining'} software adapter`
        : `asked for '${want}'${options.adapter ? '' : ' (CLEARDIT_ADAPTER)'}`;
    const device = await Device.fromAdapter(p.adapter, d);
    (device as unknown as { keepAlive: unknown }).keepAlive = p.gpu; // the Dawn instance must outlive the device
    const kernels = options.kernels ?? process.env.CLEARDIT_KERNELS;
    if (kernels !== undefined && kernels !== '') {
      if (kernels !== 'hardware' && kernels !== 'software')
        throw new AdapterError(`kernel variants '${kernels}' (CLEARDIT_KERNELS): expected hardware or software`);
      device.kernels = kernels;
    }
    return device;
  }
  throw new AdapterError(`no WebGPU adapter matches '${want}'. Tried: ${tried.join('; ')}. Run scripts/setup.sh to install the software adapters.`);
}
