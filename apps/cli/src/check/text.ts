// Reference folders for FLUX's text encoders (../shared/golden/text/*: a FLUX-style folder with a
// tokenizer, an encoder and golden.safetensors of transformers' ids and outputs per prompt): the
// tokenizer's ids must equal transformers' exactly, the encoder's outputs be within atol 1e-4.
import { dirname } from 'node:path';
import type { SafetensorsReader } from '@cleardit/tensor';
import { findTextEncoder, loadClipFolder, loadT5Folder, readPromptTokenizer } from '@cleardit/models/node';
import { type Checker, type CheckRow, compare } from './types.js';

const ATOL = 1e-4;

function idsRow(output: string, got: Int32Array, want: Int32Array): CheckRow {
  let text = `${want.length} ids equal`;
  let pass = got.length === want.length;
  for (let i = 0; i < Math.max(got.length, want.length); i++)
    if (got[i] !== want[i]) {
      text = `first difference at ${i}: got ${got[i]}, want ${want[i]}`;
      pass = false;
      break;
    }
  return { output, maxAbs: pass ? 0 : 1, maxRel: pass ? 0 : 1, tolerance: 0, absolute: true, pass, text };
}

export const textChecker: Checker = {
  name: 'text encoders (a folder with golden.safetensors)',
  recognize: (r: SafetensorsReader) => r.has('inputs.ids_0') && r.metadata.prompts !== undefined,
  async run(device, r) {
    const dir = dirname(r.name);
    const prompts = JSON.parse(r.metadata.prompts) as string[];
    const clip = r.has('outputs.pooled_0');
    const parts = findTextEncoder(dir, clip ? 'clip' : 't5');
    const length = r.info('inputs.ids_0').shape[0];
    const tokenizer = await readPromptTokenizer(parts, length);
    const rows: CheckRow[] = [];
    const c = clip ? await loadClipFolder(device, parts) : undefined;
    const t = clip ? undefined : await loadT5Folder(device, parts);
    for (let i = 0; i < prompts.length; i++) {
      const want = await r.readInt32(`inputs.ids_${i}`);
      rows.push(idsRow(`ids_${i}`, tokenizer.encode(prompts[i]), want));
      // the encoder runs on the reference ids, so a tokenizer mismatch does not hide an encoder one
      if (c) {
        const out = c.encode(want, 1);
        rows.push(compare(`hidden_${i}`, await out.hidden.toFloat32(), await r.readF32(`outputs.hidden_${i}`), ATOL, true));
        rows.push(compare(`pooled_${i}`, await out.pooled.toFloat32(), await r.readF32(`outputs.pooled_${i}`), ATOL, true));
        out.hidden.dispose();
        out.pooled.dispose();
      } else {
        const h = t!.encode(want, 1);
        rows.push(compare(`hidden_${i}`, await h.toFloat32(), await r.readF32(`outputs.hidden_${i}`), ATOL, true));
        h.dispose();
      }
    }
    c?.dispose();
    t?.dispose();
    return {
      title: `${clip ? 'CLIP text encoder' : 'T5 encoder'} and tokenizer, ${prompts.length} prompts (transformers ${r.metadata.transformers ?? '?'})`,
      rows,
      skipped: [],
    };
  },
};
