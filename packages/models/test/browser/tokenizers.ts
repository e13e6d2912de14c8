// Bundled for Chromium by tokenizers-browser.test.ts: the two tokenizers, built from the files the
// page serves, encode the golden prompts; the page exposes the ids as `tokenize()`.
import { clipTokenizer, t5Tokenizer } from '../../src/text/tokenizers.js';

const text = (path: string) => fetch(path).then((r) => r.text());

(globalThis as unknown as { tokenize: (prompts: string[]) => Promise<unknown> }).tokenize = async (prompts) => {
  const clip = clipTokenizer(await text('/clip/vocab.json'), await text('/clip/merges.txt'), JSON.parse(await text('/clip/tokenizer_config.json')));
  const t5 = t5Tokenizer(await text('/t5/tokenizer.json'), JSON.parse(await text('/t5/tokenizer_config.json')), 64);
  return { clip: prompts.map((p) => Array.from(clip.encode(p))), t5: prompts.map((p) => Array.from(t5.encode(p))) };
};
