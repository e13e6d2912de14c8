// The page: find the adapter, load the two bundled models (or the user's), then on Generate draw the
// chosen digit with the teacher (full attention) and the student (CLEAR with the chosen radius and
// down factor), step by step, with their times and the speed-up; a click on an image shows the
// clicked token's attention window. `window.__playground` exposes the last run to the end-to-end test.
import { createBrowserDevice, type Device } from '@cleardit/tensor';
import { FULL, describeAttention, type AttentionMode } from '@cleardit/models';
import { BUNDLED, fetchSlot, loadSlot, type Slot } from './models.js';
import { runOne, type RunSettings } from './run.js';
import { drawDigit, drawRgba, drawRgbPlanes } from './canvas.js';
import { addFluxFiles, fluxReady, runFlux, type FluxSet } from './flux.js';
import { vaeFactor } from '@cleardit/pipelines';
import { attentionWindow, drawTextBand, drawWindow } from './window.js';

type Side = 'full' | 'clear';
interface Drawn {
  pixels: number[];
  side: number;
  msTotal: number;
  msPerStep: number;
  attention: string;
}
const hook = {
  ready: false,
  busy: false,
  error: '',
  adapter: '',
  software: false,
  offline: false,
  offlineError: '',
  last: {} as Partial<Record<Side, Drawn>>,
  window: undefined as undefined | { row: number; col: number; visited: number; keys: number },
};
(globalThis as unknown as { __playground: typeof hook }).__playground = hook;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const num = (id: string) => Number($<HTMLInputElement>(id).value);
const form = $<HTMLFormElement>('controls');
const generateButton = $<HTMLButtonElement>('generate');
const cancelButton = $<HTMLButtonElement>('cancel');
const classSelect = $<HTMLSelectElement>('class');
for (let k = 0; k < 10; k++) classSelect.add(new Option(String(k), String(k)));
classSelect.value = '3';

function say(text: string): void {
  const m = $<HTMLParagraphElement>('message');
  m.textContent = text;
  m.hidden = !text;
  hook.error = text;
}

/** What a failure means to the user: bad input and device limits by their message, a cancel as such. */
function explain(e: unknown): string {
  const err = e as Error & { step?: number; total?: number };
  if (err?.name === 'SamplingAborted') return 'Cancelled.';
  if (err?.name === 'DeviceLimitError') return `This does not fit the adapter's limits: ${err.message}. Try a smaller resolution.`;
  if (err?.name === 'AdapterError') return `WebGPU is not available: ${err.message}`;
  return `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`;
}

let device: Device;
const slots = {} as Record<Side, Slot>;
let controller: AbortController | undefined;
let picked: { row: number; col: number } | undefined;
const fluxSet: FluxSet = {};
const mode = () => $<HTMLSelectElement>('mode').value as 'digits' | 'flux';

/** The token grid of the current mode and size, and the text tokens before it (FLUX's prompt; digits have none). */
function tokenGrid(): { grid: number; text: number } {
  if (mode() === 'flux') return { grid: num('flux-size') / (2 * vaeFactor(fluxSet.vae!.vae)), text: fluxSet.cond!.cond.T };
  return { grid: Number($<HTMLSelectElement>('side').value) / slots.clear.dit.config.patchSize, text: 0 };
}

function studentAttention(): AttentionMode {
  const radius = num('radius');
  const downFactor = Number($<HTMLSelectElement>('down').value);
  return { kind: 'clear', radius, downFactor };
}
const attentionOf = (side: Side): AttentionMode => (side === 'full' ? FULL : studentAttention());

function showModel(side: Side): void {
  const s = slots[side];
  $(`model-${side}`).textContent = `${s.name}${s.about ? ` — ${s.about}` : ''}`;
}

async function init(): Promise<void> {
  try {
    device = await createBrowserDevice();
  } catch (e) {
    $('adapter').textContent = 'No WebGPU adapter.';
    say(`${explain(e)}. Use a browser with WebGPU (Chrome or Edge 113+, Safari 26+, Firefox 141+ on Windows).`);
    return;
  }
  const a = device.adapter;
  hook.adapter = a.name;
  hook.software = a.software;
  const el = $('adapter');
  el.textContent = `Adapter: ${a.name} (${a.featureLevel} mode)${a.software ? ' — a software fallback: the GPU work runs on your CPU, so expect seconds per step, not milliseconds' : ''}.`;
  el.classList.toggle('software', a.software);
  try {
    [slots.full, slots.clear] = await Promise.all([fetchSlot(device, BUNDLED.teacher), fetchSlot(device, BUNDLED.student)]);
  } catch (e) {
    say(`Could not load the bundled models: ${explain(e)}`);
    return;
  }
  const fileAttention = slots.clear.attention;
  if (fileAttention.kind === 'clear') {
    $<HTMLInputElement>('radius').value = String(fileAttention.radius);
    $<HTMLSelectElement>('down').value = String(fileAttention.downFactor ?? 1);
  }
  showModel('full');
  showModel('clear');
  updateLabels();
  generateButton.disabled = false;
  hook.ready = true;
  void keepForOffline();
}

/**
 * Offline once loaded: the service worker (public/sw.js) answers from the cache when the network is
 * gone, and the page puts everything it has fetched so far (itself, its script and style, the models)
 * into that cache, since those requests came before the worker was installed.
 */
async function keepForOffline(): Promise<void> {
  if (!('serviceWorker' in navigator) || !('caches' in globalThis)) return;
  try {
    await navigator.serviceWorker.register('./sw.js');
    const own = performance
      .getEntriesByType('resource')
      .map((e) => e.name)
      .filter((u) => new URL(u).origin === location.origin);
    const cache = await caches.open('cleardit-playground-v1');
    const page = location.href.split('#')[0];
    await cache.add(page); // the page itself must be kept; anything else that fails (a 404) is skipped
    await Promise.all([...new Set(own)].filter((u) => u !== page).map((u) => cache.add(u).catch(() => undefined)));
    hook.offline = true;
  } catch (e) {
    // no offline copy (a private window, or storage refused): the page still works online
    hook.offlineError = String(e);
  }
}

function updateLabels(): void {
  $('attn-clear').textContent = describeAttention(studentAttention());
  if (picked) showWindow(picked.row, picked.col);
}

function settings(): RunSettings {
  return { classId: Number(classSelect.value), seed: num('seed'), steps: num('steps'), side: Number($<HTMLSelectElement>('side').value) };
}

function checkSettings(s: RunSettings): string {
  const a = studentAttention();
  const grid = s.side / slots.clear.dit.config.patchSize;
  if (!Number.isInteger(s.seed) || s.seed < 0) return 'Seed: a whole number ≥ 0.';
  if (!Number.isInteger(s.steps) || s.steps < 1 || s.steps > 100) return 'Steps: a whole number from 1 to 100.';
  if (a.kind === 'clear' && (!Number.isInteger(a.radius) || a.radius < 1)) return 'Radius r: a whole number ≥ 1 (in tokens).';
  if (a.kind === 'clear' && grid % (a.downFactor ?? 1)) return `Down factor ${a.downFactor} must divide the ${grid}×${grid} token grid.`;
  return '';
}

async function generate(): Promise<void> {
  const flux = mode() === 'flux';
  const s = settings();
  const problem = flux ? checkFlux() : checkSettings(s);
  if (problem) return say(problem);
  say('');
  controller = new AbortController();
  hook.busy = true;
  hook.last = {};
  generateButton.disabled = true;
  cancelButton.disabled = false;
  $('speedup').textContent = '';
  const perStep: Partial<Record<Side, number>> = {};
  try {
    for (const side of ['full', 'clear'] as const) {
      const attention = attentionOf(side);
      const canvas = $<HTMLCanvasElement>(`canvas-${side}`);
      const stats = $(`stats-${side}`);
      stats.textContent = 'waiting…';
      const show = (step: number, total: number, msStep: number, msTotal: number) =>
        (stats.textContent = `step ${step}/${total} · ${msStep.toFixed(0)} ms this step · ${(msTotal / 1000).toFixed(2)} s so far`);
      let pixels: Uint8Array;
      let r: Awaited<ReturnType<typeof runOne>>;
      let size: number;
      if (flux) {
        size = num('flux-size');
        let last = 0;
        const f = await runFlux(
          device,
          fluxSet,
          side === 'full' ? 'teacher' : 'student',
          attention,
          { size, seed: s.seed, steps: s.steps, guidance: num('guidance') },
          (rgb, h, w, step, total, ms) => {
            drawRgbPlanes(canvas, rgb, h, w);
            show(step, total, ms - last, ms);
            last = ms;
          },
          controller.signal,
        );
        drawRgba(canvas, f.rgba, size, size);
        [r, pixels] = [f, f.rgba];
      } else {
        size = s.side;
        r = await runOne(
          device,
          slots[side],
          attention,
          s,
          (p) => (drawDigit(canvas, p.values, s.side), show(p.step, p.total, p.msStep, p.msTotal)),
          controller.signal,
        );
        pixels = drawDigit(canvas, r.values, s.side);
      }
      perStep[side] = r.msPerStep;
      stats.textContent = `${s.steps} steps in ${(r.msTotal / 1000).toFixed(2)} s · ${r.msPerStep.toFixed(0)} ms a step (median; the first, compiling, ${r.msFirstStep.toFixed(0)} ms)`;
      hook.last[side] = { pixels: Array.from(pixels), side: size, msTotal: r.msTotal, msPerStep: r.msPerStep, attention: describeAttention(attention) };
    }
    const ratio = perStep.full! / perStep.clear!;
    const at = flux ? `${num('flux-size')}²` : `${s.side}²`;
    $('speedup').textContent =
      `A step takes ${perStep.clear!.toFixed(0)} ms with CLEAR, ${perStep.full!.toFixed(0)} ms with full attention: CLEAR is ${ratio >= 1 ? `${ratio.toFixed(2)}× faster` : `${(1 / ratio).toFixed(2)}× slower`} at ${at} on ${device.adapter.name}.`;
    if (picked) showWindow(picked.row, picked.col);
  } catch (e) {
    say(explain(e));
  } finally {
    controller = undefined;
    hook.busy = false;
    generateButton.disabled = false;
    cancelButton.disabled = true;
  }
}

function checkFlux(): string {
  if (!fluxReady(fluxSet)) return 'FLUX needs a transformer, its autoencoder and a conditioning file (load them below).';
  const unit = 2 * vaeFactor(fluxSet.vae!.vae);
  const size = num('flux-size');
  const steps = num('steps');
  if (!Number.isInteger(size) || size < unit || size % unit)
    return `Size: a multiple of ${unit} pixels (the autoencoder's ${unit / 2}× and FLUX's 2×2 packing).`;
  if (!Number.isInteger(steps) || steps < 1 || steps > 100) return 'Steps: a whole number from 1 to 100.';
  const a = studentAttention();
  if (a.kind === 'clear' && (size / unit) % (a.downFactor ?? 1)) return `Down factor ${a.downFactor} must divide the ${size / unit}×${size / unit} token grid.`;
  return '';
}

/** The clicked token's window on both images: every key for full attention, the disc (and pooled keys) for CLEAR. */
function showWindow(row: number, col: number): void {
  const { grid, text: T } = tokenGrid();
  if (row >= grid || col >= grid) return;
  picked = { row, col };
  let text = `Token (${row}, ${col}) of the ${grid}×${grid} grid${T ? `, after ${T} text tokens that every image token sees` : ''}: `;
  for (const side of ['full', 'clear'] as const) {
    const w = attentionWindow(attentionOf(side), grid, row, col, T);
    drawWindow($<HTMLCanvasElement>(`overlay-${side}`), w, grid, row, col);
    drawTextBand($<HTMLCanvasElement>(`band-${side}`), T);
    const share = `${w.visited} of ${w.keys} keys (${((100 * w.visited) / w.keys).toFixed(1)}%)${w.pooled ? `, ${w.pooled} of them pooled` : ''}`;
    text += side === 'full' ? `full attention visits ${share}; ` : `${describeAttention(attentionOf(side))} visits ${share}.`;
    if (side === 'clear') hook.window = { row, col, visited: w.visited, keys: w.keys };
  }
  $('window').textContent = text;
}

for (const side of ['full', 'clear'] as const) {
  $(`overlay-${side}`).parentElement!.addEventListener('click', (ev) => {
    if (!slots.clear) return;
    const box = (ev.currentTarget as HTMLElement).getBoundingClientRect();
    const { grid } = tokenGrid();
    showWindow(Math.floor(((ev.clientY - box.top) / box.height) * grid), Math.floor(((ev.clientX - box.left) / box.width) * grid));
  });
  $<HTMLInputElement>(`file-${side}`).addEventListener('change', async (ev) => {
    const file = (ev.target as HTMLInputElement).files?.[0];
    if (!file || !device) return;
    try {
      const slot = await loadSlot(device, file, file.name);
      slots[side]?.dit.dispose();
      slots[side] = slot;
      showModel(side);
      say('');
    } catch (e) {
      say(`${file.name}: ${explain(e)}`);
    }
  });
}
async function loadFlux(files: File[]): Promise<void> {
  if (!device || !files.length) return;
  const status = $('flux-status');
  status.textContent = `Reading ${files.length} file(s)…`;
  try {
    const found = await addFluxFiles(device, fluxSet, files);
    say('');
    const parts = [
      fluxSet.teacher && `transformer ${fluxSet.teacher.name}`,
      fluxSet.student && `student ${fluxSet.student.name} (${describeAttention(fluxSet.student.attention)})`,
      fluxSet.vae && `autoencoder ${fluxSet.vae.name}`,
      fluxSet.cond && `conditioning ${fluxSet.cond.name} (${fluxSet.cond.cond.T} text tokens)`,
    ].filter(Boolean);
    status.textContent = `Loaded: ${parts.join('; ')}.${fluxReady(fluxSet) ? '' : ' Still needed: a transformer, its autoencoder and a conditioning file.'} (${found.length} new)`;
    const a = fluxSet.student?.attention;
    if (a?.kind === 'clear') {
      $<HTMLInputElement>('radius').value = String(a.radius);
      $<HTMLSelectElement>('down').value = String(a.downFactor ?? 1);
      updateLabels();
    }
    const option = $<HTMLSelectElement>('mode').querySelector<HTMLOptionElement>('option[value="flux"]')!;
    option.disabled = !fluxReady(fluxSet);
    if (fluxReady(fluxSet)) setMode('flux');
  } catch (e) {
    status.textContent = 'Could not load those files.';
    say(explain(e));
  }
}

function setMode(m: 'digits' | 'flux'): void {
  $<HTMLSelectElement>('mode').value = m;
  for (const el of document.querySelectorAll<HTMLElement>('.flux-only')) el.hidden = m !== 'flux';
  for (const el of document.querySelectorAll<HTMLElement>('.digits-only')) el.hidden = m === 'flux';
  $('panel-full').querySelector('h2')!.firstChild!.textContent = m === 'flux' ? 'FLUX · ' : 'Teacher · ';
  $('panel-clear').querySelector('h2')!.firstChild!.textContent = m === 'flux' ? (fluxSet.student ? 'FLUX student · ' : 'FLUX, zero-shot · ') : 'Student · ';
  picked = undefined;
  for (const side of ['full', 'clear']) {
    $<HTMLCanvasElement>(`overlay-${side}`).getContext('2d')?.clearRect(0, 0, 9999, 9999);
    $<HTMLCanvasElement>(`band-${side}`).hidden = true;
  }
}

$<HTMLInputElement>('flux-files').addEventListener('change', (ev) => void loadFlux([...((ev.target as HTMLInputElement).files ?? [])]));
$<HTMLInputElement>('flux-folder').addEventListener('change', (ev) => void loadFlux([...((ev.target as HTMLInputElement).files ?? [])]));
$<HTMLSelectElement>('mode').addEventListener('change', () => setMode(mode()));
form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (!hook.busy) void generate();
});
cancelButton.addEventListener('click', () => controller?.abort());
for (const id of ['radius', 'down']) $(id).addEventListener('change', updateLabels);
$('side').addEventListener('change', () => {
  picked = undefined;
  for (const side of ['full', 'clear']) $<HTMLCanvasElement>(`overlay-${side}`).getContext('2d')?.clearRect(0, 0, 999, 999);
});

void init();
