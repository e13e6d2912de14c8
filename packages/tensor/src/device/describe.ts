// Naming an adapter from its GPUAdapterInfo, the same way in Node and in browsers.
import type { AdapterDescription } from './device.js';

export function isSoftwareAdapter(adapter: GPUAdapter): boolean {
  const info = adapter.info;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  const fallback = (info as { isFallbackAdapter?: boolean }).isFallbackAdapter || (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic/.test(text) || Boolean(fallback);
}

export function describeAdapter(adapter: GPUAdapter, backend: string, featureLevel: 'core' | 'compatibility', fallbackName: string): AdapterDescription {
  const info = adapter.info;
  const text = `${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  const name = text.includes('llvmpipe')
    ? 'llvmpipe'
    : text.includes('swiftshader')
      ? 'swiftshader'
      : info.device || info.description || info.architecture || info.vendor || fallbackName;
  return {
    name,
    backend,
    vendor: info.vendor,
    description: info.description || info.device || info.architecture,
    software: isSoftwareAdapter(adapter),
    featureLevel,
    reason: '',
  };
}
