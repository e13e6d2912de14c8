import { describe, it, expect } from 'vitest';
import { noiseFilter } from '../src/quiet.js';

const run = (chunks: string[]) => {
  let out = '';
  const f = noiseFilter((s) => (out += s));
  for (const c of chunks) f.push(c);
  f.end();
  return out;
};

describe('the stderr noise filter', () => {
  const dawn = [
    'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 90 to 16 to fit dynamic offset allocation limit.',
    'Warning: vkCreateInstance failed with VK_ERROR_INCOMPATIBLE_DRIVER',
    '    at CheckVkSuccessImpl (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/vulkan/VulkanError.cpp:106)',
    '',
  ];
  it("drops Dawn's probing lines, however the chunks are cut, and keeps everything else in order", () => {
    const text = ['cleardit: using the bundled model', ...dawn, 'step 1/3', 'Warning: a real warning stays', 'wrote out.png\n'].join('\n');
    const want = 'cleardit: using the bundled model\nstep 1/3\nWarning: a real warning stays\nwrote out.png\n';
    expect(run([text])).toBe(want);
    for (const size of [1, 3, 7, 50]) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      expect(run(chunks), `chunks of ${size}`).toBe(want);
    }
  });
  it('passes a progress bar redraw (no newline) through at once', () => {
    let out = '';
    const f = noiseFilter((s) => (out += s));
    f.push('\rsampling |███░░░| 3/6 steps');
    expect(out).toBe('\rsampling |███░░░| 3/6 steps');
  });
});
