// Debian's Chromium for the browser tests and the benchmarks' Chromium half: where it is, and the
// flags every headless run here uses (no sandbox in a container, no background network, WebGPU on).
// Adapters without a GPU: SwiftShader (Chromium's default) or ANGLE over llvmpipe (compatibility mode).
import { existsSync } from 'node:fs';
import { build } from 'esbuild';

/** The Chromium binary, or undefined when it is not installed (scripts/setup.sh installs it). */
export const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => existsSync(p));

export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--enable-unsafe-webgpu',
];

/** Extra flags per WebGPU adapter. */
export const CHROMIUM_ADAPTERS = {
  swiftshader: [],
  'angle-llvmpipe': ['--use-webgpu-adapter=opengles', '--use-angle=gl-egl'],
};

/** The binary, or a clear error naming the fix. */
export function chromiumPath() {
  if (!CHROMIUM) throw new Error("Chromium is not installed (scripts/setup.sh installs Debian's chromium)");
  return CHROMIUM;
}

/** A page script bundled for the browser, the workspace packages from their sources: its JavaScript text. */
export async function bundleForBrowser(entry) {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    conditions: ['@cleardit/source'],
    logLevel: 'warning',
  });
  return out.outputFiles[0].text;
}
