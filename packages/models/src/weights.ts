// A model's parameters: GPU tensors under their canonical checkpoint names (BFL names for FLUX and
// its autoencoder, diffusers names for DiT and the SD VAE), so loading is a copy. get() names the key
// and the model when one is missing; expect() checks a shape and names both shapes. A weight can also
// be read as row blocks concatenated (setRowBlocks: a CLEAR student whose fused linear1 trains its
// q/k/v rows only).
import { type Tensor, InputError, concat, fmtShape } from '@cleardit/tensor';

export class WeightError extends InputError {
  override name = 'WeightError';
}

export class Weights {
  readonly tensors = new Map<string, Tensor>();
  /** Weights read as row blocks concatenated (setRowBlocks); the blocks are borrowed, never disposed here. */
  private readonly rowBlocks = new Map<string, readonly Tensor[]>();
  constructor(readonly model: string) {}

  /**
   * `name` read as `blocks` concatenated along rows (axis 0), made in the forward that reads it: some
   * rows of a weight can train (a block that requires gradients) while the others stay frozen.
   */
  setRowBlocks(name: string, blocks: readonly Tensor[]): void {
    this.tensors.delete(name);
    this.rowBlocks.set(name, blocks);
  }

  /** Every weight name, row-block ones included. */
  names(): string[] {
    return [...this.tensors.keys(), ...this.rowBlocks.keys()];
  }

  set(name: string, t: Tensor): void {
    this.tensors.get(name)?.dispose();
    this.tensors.set(name, t.keep());
  }

  has(name: string): boolean {
    return this.tensors.has(name) || this.rowBlocks.has(name);
  }

  get(name: string): Tensor {
    const blocks = this.rowBlocks.get(name);
    if (blocks) return concat(blocks, 0);
    const t = this.tensors.get(name);
    if (!t) throw new WeightError(`${this.model}: missing weight '${name}'`);
    return t;
  }

  /** The weight, checked against the expected shape. */
  expect(name: string, shape: readonly number[]): Tensor {
    const t = this.get(name);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      throw new WeightError(`${this.model}: weight '${name}' has shape ${fmtShape(t.shape)}, expected ${fmtShape(shape)}`);
    return t;
  }

  get parameterCount(): number {
    let n = 0;
    for (const t of this.tensors.values()) n += t.numel;
    return n;
  }

  dispose(): void {
    for (const t of this.tensors.values()) t.dispose();
    this.tensors.clear();
  }
}
