// The page: find the adapter, load the two bundled models (or the user's), then on Generate draw the
// chosen digit with the teacher (full attention) and the student (CLEAR with the chosen radius and
// down factor), step by step, with their times and the speed-up; a click on an image shows the
// clicked token's attention window. `window.__playground` exposes the last run to the end-to-end test.
import { createBrowserDevice, type Device } from '@cleardit/tensor';
import { FULL, describeAttention, type AttentionMode } from '@cleardit/models';
import { BUNDLED, fetchSlot, loadSlot, type Slot } from './models.js';
import { runOne, type RunSettings } from './run.js';
import { drawDigit } from './canvas.js';
import { attentionWindow, drawWindow } from './window.js';

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
  if ('serviceWorker' in navigator && location.protocol !== 'file:') navigator.serviceWorker.register('./sw.js').catch(() => undefined);
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
  const s = settings();
  const problem = checkSettings(s);
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
      const r = await runOne(
        device,
        slots[side],
        attention,
        s,
        (p) => {
          drawDigit(canvas, p.values, s.side);
          stats.textContent = `step ${p.step}/${p.total} · ${p.msStep.toFixed(0)} ms this step · ${(p.msTotal / 1000).toFixed(2)} s so far`;
        },
        controller.signal,
      );
      const pixels = drawDigit(canvas, r.values, s.side);
      perStep[side] = r.msPerStep;
      stats.textContent = `${s.steps} steps in ${(r.msTotal / 1000).toFixed(2)} s · ${r.msPerStep.toFixed(0)} ms a step (median; the first, compiling, ${r.msFirstStep.toFixed(0)} ms)`;
      hook.last[side] = { pixels: Array.from(pixels), side: s.side, msTotal: r.msTotal, msPerStep: r.msPerStep, attention: describeAttention(attention) };
    }
    const ratio = perStep.full! / perStep.clear!;
    $('speedup').textContent =
      `A step takes ${perStep.clear!.toFixed(0)} ms with CLEAR, ${perStep.full!.toFixed(0)} ms with full attention: CLEAR is ${ratio >= 1 ? `${ratio.toFixed(2)}× faster` : `${(1 / ratio).toFixed(2)}× slower`} at ${s.side}² on ${device.adapter.name}.`;
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

/** The clicked token's window on both images: every key for full attention, the disc (and pooled keys) for CLEAR. */
function showWindow(row: number, col: number): void {
  const grid = Number($<HTMLSelectElement>('side').value) / slots.clear.dit.config.patchSize;
  if (row >= grid || col >= grid) return;
  picked = { row, col };
  let text = `Token (${row}, ${col}) of the ${grid}×${grid} grid: `;
  for (const side of ['full', 'clear'] as const) {
    const w = attentionWindow(attentionOf(side), grid, row, col);
    drawWindow($<HTMLCanvasElement>(`overlay-${side}`), w, grid, row, col);
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
    const grid = Number($<HTMLSelectElement>('side').value) / slots.clear.dit.config.patchSize;
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
