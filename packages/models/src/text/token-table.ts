// A text encoder's token embedding, kept on the host in the checkpoint's own dtype. Token ids are
// host data (they come from the tokenizer), so a lookup copies B·L rows into one upload; the table
// itself never needs a GPU buffer (T5-XXL's is 32,128 × 4,096: 251 MiB in bf16, 502 MiB in f32, over
// WebGPU's default binding and buffer limits).
import { type StoredTensor, bf16sToFloats, halvesToFloats, fmtShape } from '@cleardit/tensor';
import type { TensorSource } from '../source.js';
import { WeightError } from '../weights.js';

export class TokenTable {
  private constructor(
    readonly name: string,
    readonly rows: number,
    readonly width: number,
    private readonly stored: StoredTensor,
  ) {}

  /** Reads `key` from `src` as it is stored (F32, F16 or BF16), checked to be [rows, width]. */
  static async read(src: TensorSource, key: string, rows: number, width: number): Promise<TokenTable> {
    const info = src.info(key);
    if (info.shape.length !== 2 || info.shape[0] !== rows || info.shape[1] !== width)
      throw new WeightError(`${src.name}: token embedding '${key}' has shape ${fmtShape(info.shape)}, expected ${fmtShape([rows, width])}`);
    if (!['F32', 'F16', 'BF16'].includes(info.dtype)) throw new WeightError(`${src.name}: token embedding '${key}' is ${info.dtype}, not a float tensor`);
    return new TokenTable(`${src.name}: '${key}'`, rows, width, await src.readHost(key));
  }

  /** Host bytes the table takes. */
  get bytes(): number {
    return this.stored.data.byteLength;
  }

  /** The rows of `ids` as float32, [ids.length · width]; an id outside the vocabulary is an error naming it. */
  lookup(ids: ArrayLike<number>): Float32Array {
    const w = this.width;
    const out = new Float32Array(ids.length * w);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.rows)
        throw new WeightError(`${this.name}: token id ${id} (position ${i}) is outside the vocabulary of ${this.rows}`);
      const row = out.subarray(i * w, (i + 1) * w);
      const { dtype, data } = this.stored;
      if (dtype === 'F32') row.set((data as Float32Array).subarray(id * w, (id + 1) * w));
      else if (dtype === 'F16') halvesToFloats((data as Uint16Array).subarray(id * w, (id + 1) * w), row);
      else bf16sToFloats((data as Uint16Array).subarray(id * w, (id + 1) * w), row);
    }
    return out;
  }
}
