// FLUX's two tokenizers, through @huggingface/tokenizers (the tokenizer of transformers.js, in Node
// and in browsers), padded and truncated exactly as diffusers' FluxPipeline does:
// - CLIP from vocab.json + merges.txt (FLUX folders carry no tokenizer.json for it): the
//   tokenizer.json that transformers' CLIPConverter builds from those two files — NFC, whitespace
//   runs to one space, lower case; CLIP's word pattern; byte-level BPE with `</w>` word ends;
//   <|startoftext|> … <|endoftext|>; then 77 tokens, padded with the pad token (<|endoftext|>).
// - T5 from tokenizer_2/tokenizer.json (Unigram): the pieces and </s>, padded with <pad> to
//   max_sequence_length (512 for dev, 256 for schnell); truncation keeps the closing </s>.
// No attention masks: FluxPipeline passes none to either encoder.
import { Tokenizer } from '@huggingface/tokenizers';
import { ConfigError } from '../errors.js';

/** A prompt → exactly `length` token ids. */
export interface PromptTokenizer {
  readonly length: number;
  encode(prompt: string): Int32Array;
}

type Json = Record<string, unknown>;

/** ids (with their closing token) cut to `length` keeping that closing token, then padded with `pad`. */
function fit(ids: readonly number[], length: number, end: number, pad: number): Int32Array {
  const out = new Int32Array(length).fill(pad);
  const kept = ids.length > length ? [...ids.slice(0, length - 1), end] : ids;
  out.set(kept);
  return out;
}

const tokenText = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as Json).content === 'string' ? ((v as Json).content as string) : undefined;

function idOf(vocab: Record<string, number>, token: string, file: string): number {
  const id = vocab[token];
  if (typeof id !== 'number') throw new ConfigError(`${file}: the special token '${token}' is not in the vocabulary`);
  return id;
}

/**
 * CLIP's tokenizer from the text of vocab.json and merges.txt, and tokenizer_config.json (or
 * special_tokens_map.json) for the special tokens; `file` names the folder in errors.
 */
export function clipTokenizer(vocabJson: string, mergesTxt: string, config: Json = {}, length = 77, file = 'CLIP tokenizer'): PromptTokenizer {
  let vocab: Record<string, number>;
  try {
    vocab = JSON.parse(vocabJson);
  } catch (e) {
    throw new ConfigError(`${file}/vocab.json: not valid JSON (${(e as Error).message})`);
  }
  const merges = mergesTxt.split('\n').filter((l) => l.trim() && !l.startsWith('#version'));
  const bos = tokenText(config.bos_token) ?? '<|startoftext|>';
  const eos = tokenText(config.eos_token) ?? '<|endoftext|>';
  const pad = tokenText(config.pad_token) ?? eos;
  const [bosId, eosId, padId] = [idOf(vocab, bos, file), idOf(vocab, eos, file), idOf(vocab, pad, file)];
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true });
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(bosId, bos), special(eosId, eos)],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }] },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: { type: 'RobertaProcessing', sep: [eos, eosId], cls: [bos, bosId], trim_offsets: false, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: tokenText(config.unk_token) ?? eos,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  const tok = new Tokenizer(tokenizerJson, { ...config, model_max_length: length });
  return { length, encode: (prompt) => fit(tok.encode(prompt).ids, length, eosId, padId) };
}

/** T5's tokenizer from the text of tokenizer.json and tokenizer_config.json, to `length` tokens. */
export function t5Tokenizer(tokenizerJson: string, config: Json = {}, length = 512, file = 'T5 tokenizer'): PromptTokenizer {
  let tj: Json;
  try {
    tj = JSON.parse(tokenizerJson);
  } catch (e) {
    throw new ConfigError(`${file}/tokenizer.json: not valid JSON (${(e as Error).message})`);
  }
  const added = (tj.added_tokens ?? []) as { id: number; content: string }[];
  const find = (content: string) => {
    const t = added.find((a) => a.content === content);
    if (!t) throw new ConfigError(`${file}/tokenizer.json: no added token '${content}'`);
    return t.id;
  };
  const eosId = find(tokenText(config.eos_token) ?? '</s>');
  const padId = find(tokenText(config.pad_token) ?? '<pad>');
  const tok = new Tokenizer(tj, { ...config, model_max_length: length });
  return { length, encode: (prompt) => fit(tok.encode(prompt).ids, length, eosId, padId) };
}
