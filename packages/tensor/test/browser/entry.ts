// Runs in Chromium: the same ops as the Node tests, on navigator.gpu, through the browser bundle.
import { createBrowserDevice, tensor, randn, matmul, softmax, layerNorm, geluTanh, conv2d, sin, normalValues } from '../../src/index.js';

async function runCase() {
  const d = await createBrowserDevice();
  const a = normalValues(1, 33 * 17);
  const b = normalValues(2, 17 * 9);
  const x = normalValues(3, 4 * 129);
  const img = normalValues(4, 2 * 3 * 7 * 5);
  const w = normalValues(5, 4 * 3 * 3 * 3);
  const arr = async (t: { toArray(): Promise<ArrayLike<number>> }) => Array.from(await t.toArray());
  // the GPU timer, where the adapter has timestamp queries
  let timer: { available: boolean; gpuMs: number | null; wallMs: number } = { available: d.canTimeGpu, gpuMs: null, wallMs: 0 };
  if (d.canTimeGpu) {
    const m = randn(d, [256, 256], 7);
    await d.sync();
    const t0 = performance.now();
    d.startGpuTimer();
    for (let i = 0; i < 3; i++) d.scope(() => void matmul(m, m));
    const gpuMs = await d.stopGpuTimer();
    timer = { available: true, gpuMs, wallMs: performance.now() - t0 };
    m.dispose();
  }
  return {
    adapter: d.adapter,
    timer,
    normals: Array.from(normalValues(123, 64)),
    randn: await arr(randn(d, [8, 8], 123)),
    matmul: await arr(matmul(tensor(d, a, [33, 17]), tensor(d, b, [17, 9]))),
    softmax: await arr(softmax(tensor(d, x, [4, 129]))),
    layerNorm: await arr(layerNorm(tensor(d, x, [4, 129]), { eps: 1e-6 })),
    gelu: await arr(geluTanh(tensor(d, x, [4, 129]))),
    sin: await arr(sin(tensor(d, [700.25, -3141.5, 0.5], [3]))),
    conv: await arr(conv2d(tensor(d, img, [2, 3, 7, 5]), tensor(d, w, [4, 3, 3, 3]), { padding: 1 })),
  };
}

(globalThis as unknown as { runCase: typeof runCase }).runCase = runCase;
