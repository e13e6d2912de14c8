// Browsers: a Device from navigator.gpu. The browser picks the adapter; we ask for core features
// first and fall back to compatibility mode (ANGLE on OpenGL, e.g. Chromium on llvmpipe).
import { Device } from './device.js';
import { describeAdapter } from './describe.js';
import { AdapterError } from '../errors.js';

export interface BrowserDeviceOptions {
  /** Defaults to navigator.gpu. */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
}

export async function createBrowserDevice(opts: BrowserDeviceOptions = {}): Promise<Device> {
  const gpu = opts.gpu ?? (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu)
    throw new AdapterError(
      'this browser has no WebGPU (navigator.gpu is missing; Chromium needs a secure context, and headless Chromium --enable-unsafe-webgpu)',
    );
  for (const featureLevel of ['core', 'compatibility'] as const) {
    const adapter = await gpu.requestAdapter({ featureLevel, powerPreference: opts.powerPreference ?? 'high-performance' });
    if (!adapter) continue;
    const d = describeAdapter(adapter, 'browser', featureLevel, 'browser adapter');
    d.reason = featureLevel === 'core' ? 'the browser offered this adapter' : 'no core adapter; the browser offered this one in compatibility mode';
    return Device.fromAdapter(adapter, d);
  }
  throw new AdapterError('navigator.gpu offered no adapter (is WebGPU enabled? headless Chromium needs --enable-unsafe-webgpu)');
}
