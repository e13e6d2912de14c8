// Safetensors reading, writing and validation, on the CPU only: no GPU device is created (toDevice runs
// against a stand-in device that records uploads). Files go to a fresh directory under os.tmpdir().

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlobSource, BytesSource, SafetensorsReader, buildHeader, encodeSafetensors, safetensorsChunks, type ByteSource } from '../src/safetensors/index.js';
import { FileSource, writeSafetensorsFile } from '../src/node/files.js';
import type { Device } from '../src/device/device.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/flux-tiny-a.safetensors', import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cleardit-st-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A file from a header (object or raw JSON text) and a data region, with an optional wrong length prefix. */
function rawFile(header: unknown, data = new Uint8Array(0), lenOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lenOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

async function openError(bytes: Uint8Array, name: string): Promise<Error> {
  try {
    await SafetensorsReader.open(new BytesSource(bytes, name));
  } catch (e) {
    return e as Error;
  }
  throw new Error('open() should have failed');
}

async function expectBad(bytes: Uint8Array, name: string, ...parts: string[]): Promise<void> {
  const e = await openError(bytes, name);
  expect(e.name).toBe('SafetensorsError');
  expect(e.message).toContain(name);
  for (const p of parts) expect(e.message).toContain(p);
}

function recording(inner: ByteSource): ByteSource & { reads: [number, number][] } {
  const reads: [number, number][] = [];
  return {
    name: inner.name,
    size: inner.size,
    reads,
    read(offset, length) {
      reads.push([offset, length]);
      return inner.read(offset, length);
    },
    close: () => inner.close?.() ?? Promise.resolve(),
  };
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('round trip', () => {
  it('F32, F16 and BF16 values and bit patterns survive encode and read', async () => {
    const f32 = new Float32Array([0, -0, 1.5, -2.25, 1e-30, 3.4e38, Infinity, -Infinity, NaN, 0.1]);
    // Exactly representable in f16 and bf16.
    const small = [0, -0, 1, -2, 0.5, 0.375, 1024, -48.5, 2 ** -14];
    // F16: +0, -0, 1, max, min subnormal, +Inf, -Inf, NaN, a NaN with payload.
    const f16Bits = new Uint16Array([0x0000, 0x8000, 0x3c00, 0x7bff, 0x0001, 0x7c00, 0xfc00, 0x7e00, 0x7c01]);
    // BF16: +0, -0, 1, -2, +Inf, -Inf, NaN, smallest subnormal, largest finite.
    const bf16Bits = new Uint16Array([0x0000, 0x8000, 0x3f80, 0xc000, 0x7f80, 0xff80, 0x7fc0, 0x0001, 0x7f7f]);
    const bytes = encodeSafetensors({
      a_f32: { dtype: 'F32', shape: [2, 5], data: f32 },
      b_f16_from_f32: { dtype: 'F16', shape: [9], data: Float32Array.from(small) },
      c_bf16_from_numbers: { dtype: 'BF16', shape: [3, 3], data: small },
      d_f16_bits: { dtype: 'F16', shape: [9], data: f16Bits },
      e_bf16_bits: { dtype: 'BF16', shape: [9], data: bf16Bits },
      f_empty: { dtype: 'F32', shape: [0, 3], data: [] },
      g_scalar: { dtype: 'F32', shape: [], data: [7] },
      h_odd_f16: { dtype: 'F16', shape: [3], data: [1, 2, 3] },
      i_after_odd: { dtype: 'F32', shape: [2], data: [5, 6] }, // starts at an offset that is not a multiple of 4
    });
    const r = await SafetensorsReader.open(new BytesSource(bytes, 'rt.safetensors'));
    expect(r.keys().sort()).toEqual([
      'a_f32',
      'b_f16_from_f32',
      'c_bf16_from_numbers',
      'd_f16_bits',
      'e_bf16_bits',
      'f_empty',
      'g_scalar',
      'h_odd_f16',
      'i_after_odd',
    ]);

    const a = await r.readHost('a_f32');
    expect(a.dtype).toBe('F32');
    expect(a.shape).toEqual([2, 5]);
    expect(bits(a.data as Float32Array)).toEqual(bits(f32));

    expect(Array.from(await r.readF32('b_f16_from_f32'))).toEqual(small);
    expect(Object.is((await r.readF32('b_f16_from_f32'))[1], -0)).toBe(true);
    expect(Array.from(await r.readF32('c_bf16_from_numbers'))).toEqual(small);
    expect(r.info('c_bf16_from_numbers')).toEqual({ dtype: 'BF16', shape: [3, 3], byteLength: 18 });

    const d = await r.readHost('d_f16_bits');
    expect(d.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(d.data as Uint16Array)).toEqual(Array.from(f16Bits));
    const dw = await r.readF32('d_f16_bits');
    expect(Array.from(dw.slice(0, 7))).toEqual([0, -0, 1, 65504, 2 ** -24, Infinity, -Infinity]);
    expect(Object.is(dw[1], -0)).toBe(true);
    expect(Number.isNaN(dw[7]) && Number.isNaN(dw[8])).toBe(true);

    const e = await r.readHost('e_bf16_bits');
    expect(Array.from(e.data as Uint16Array)).toEqual(Array.from(bf16Bits));
    const ew = await r.readF32('e_bf16_bits');
    expect(Array.from(ew.slice(0, 6))).toEqual([0, -0, 1, -2, Infinity, -Infinity]);
    expect(Number.isNaN(ew[6])).toBe(true);
    expect(ew[7]).toBe(2 ** -133);
    expect(bits(ew.slice(8))).toEqual([0x7f7f0000]);

    expect((await r.readHost('f_empty')).data.length).toBe(0);
    expect(Array.from(await r.readF32('g_scalar'))).toEqual([7]);
    expect(Array.from(await r.readF32('h_odd_f16'))).toEqual([1, 2, 3]);
    const odd = await r.readHost('i_after_odd');
    expect(Array.from(odd.data as Float32Array)).toEqual([5, 6]);
    expect(odd.data.byteOffset % 4).toBe(0);
    await r.close();
  });

  it('I32 and I64 round trip; readInt32 takes both, refuses floats and 64-bit values beyond 32 bits', async () => {
    const big = [0, -1, 2147483647, -2147483648];
    const bytes = encodeSafetensors({
      a_i32: { dtype: 'I32', shape: [2, 2], data: Int32Array.from(big) },
      b_i64: { dtype: 'I64', shape: [4], data: big },
      c_i64_wide: { dtype: 'I64', shape: [1], data: BigInt64Array.from([2n ** 40n]) },
      d_f32: { dtype: 'F32', shape: [1], data: [1] },
    });
    const r = await SafetensorsReader.open(new BytesSource(bytes, 'ints.safetensors'));
    expect(r.info('b_i64')).toEqual({ dtype: 'I64', shape: [4], byteLength: 32 });
    expect((await r.readHost('a_i32')).data).toBeInstanceOf(Int32Array);
    expect((await r.readHost('b_i64')).data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(await r.readInt32('a_i32'))).toEqual(big);
    expect(Array.from(await r.readInt32('b_i64'))).toEqual(big);
    expect(Array.from(await r.readF32('b_i64'))).toEqual(big.map(Math.fround));
    await expect(r.readInt32('c_i64_wide')).rejects.toThrow("ints.safetensors: tensor 'c_i64_wide' (I64) holds 1099511627776 at index 0, beyond 32 bits");
    await expect(r.readInt32('d_f32')).rejects.toThrow("tensor 'd_f32' is F32, not an integer tensor (I32 or I64)");
    expect(() => encodeSafetensors({ x: { dtype: 'I32', shape: [1], data: [0.5] } })).toThrow("tensor 'x' is I32: its data must be integers");
  });

  it('reads the token ids of a file written by safetensors in Python (I32)', async () => {
    const golden = fileURLToPath(new URL('./fixtures/clip-tiny-golden.safetensors', import.meta.url));
    const r = await SafetensorsReader.open(await FileSource.open(golden));
    const ids = await r.readInt32('inputs.ids_0'); // "a photo of a cat", CLIP: bos, 4 tokens, eos, eos padding
    expect(r.info('inputs.ids_0')).toEqual({ dtype: 'I32', shape: [77], byteLength: 308 });
    expect(Array.from(ids.slice(0, 7))).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(ids.slice(7).every((t) => t === 49407)).toBe(true);
    await r.close();
  });

  it('returned arrays are copies, not views of the source bytes', async () => {
    const bytes = encodeSafetensors({ x: { dtype: 'F32', shape: [2], data: [1, 2] } });
    const r = await SafetensorsReader.open(new BytesSource(bytes));
    (await r.readHost('x')).data[0] = 99;
    expect(Array.from(await r.readF32('x'))).toEqual([1, 2]);
  });

  it('metadata round trips; integer-like names keep sorted order', async () => {
    const meta = { config: '{"a": [1, 2]}', seed: '1001', ünï: 'cödé ✓' };
    const bytes = encodeSafetensors({ '10': { dtype: 'F32', shape: [1], data: [10] }, '2': { dtype: 'F32', shape: [1], data: [2] } }, meta);
    const r = await SafetensorsReader.open(new BytesSource(bytes.buffer as ArrayBuffer, 'meta.safetensors'));
    expect(r.metadata).toEqual(meta);
    expect(r.keys()).toEqual(['10', '2']);
    expect(Array.from(await r.readF32('2'))).toEqual([2]);
  });

  it('header is padded with spaces to a multiple of 8', () => {
    for (const name of ['a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg', 'abcdefgh']) {
      const { bytes } = buildHeader({ [name]: { dtype: 'F32', shape: [1], data: [1] } });
      const len = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect(len % 8).toBe(0);
      expect(bytes.length).toBe(8 + len);
      const text = new TextDecoder().decode(bytes.subarray(8));
      expect(text.trimEnd().endsWith('}')).toBe(true);
      expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
    }
  });

  it('chunks stream header first, then tensors in sorted order, and equal the one-piece encoding', async () => {
    const tensors = {
      b: { dtype: 'F32' as const, shape: [3], data: [1, 2, 3] },
      a: { dtype: 'BF16' as const, shape: [2], data: new Float32Array([1, 2]) },
    };
    const chunks: Uint8Array[] = [];
    for await (const c of safetensorsChunks(tensors, { k: 'v' })) chunks.push(Uint8Array.from(c));
    const { bytes, layout } = buildHeader(tensors, { k: 'v' });
    expect(chunks.length).toBe(3);
    expect(chunks[0]).toEqual(bytes);
    expect(layout.map((e) => e.name)).toEqual(['a', 'b']);
    expect(chunks[1].length).toBe(4);
    const joined = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of chunks) joined.set(c, (o += c.length) - c.length);
    expect(joined).toEqual(encodeSafetensors(tensors, { k: 'v' }));
  });

  it('writer refuses bad input before writing anything', () => {
    const bad = (t: Record<string, unknown>, part: string) => {
      try {
        encodeSafetensors(t as never, undefined, 'out.safetensors');
      } catch (e) {
        expect((e as Error).name).toBe('SafetensorsError');
        expect((e as Error).message).toContain('out.safetensors');
        expect((e as Error).message).toContain(part);
        return;
      }
      throw new Error('should have thrown');
    };
    bad({ x: { dtype: 'F32', shape: [2, 3], data: [1, 2] } }, "tensor 'x' has 2 values but shape [2,3] needs 6");
    bad({ x: { dtype: 'U8', shape: [1], data: [1] } }, 'U8');
    bad({ x: { dtype: 'I64', shape: [1], data: [1.5] } }, 'its data must be integers');
    bad({ x: { dtype: 'F32', shape: [-1], data: [] } }, 'non-negative integers');
    bad({ x: { dtype: 'F32', shape: [1], data: new Uint16Array(1) } }, 'Uint16Array');
    bad({ __metadata__: { dtype: 'F32', shape: [1], data: [1] } }, 'reserved');
  });
});

describe('toDevice', () => {
  // Records what would be uploaded; Tensor only needs allocate/track/untrack/write/pool from a device.
  function fakeDevice() {
    const writes: Uint8Array[] = [];
    const device = {
      allocate: (bytes: number) => ({ size: bytes }) as unknown as GPUBuffer,
      track() {},
      untrack() {},
      pool: { release() {} },
      write(_b: GPUBuffer, data: ArrayBufferView) {
        writes.push(new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
      },
    };
    return { device: device as unknown as Device, writes };
  }

  it('widens to f32 by default and keeps F16 bits with dtype f16', async () => {
    const h = new Uint16Array([0x3c00, 0xc000, 0x7c00]);
    const bytes = encodeSafetensors({
      h: { dtype: 'F16', shape: [3], data: h },
      b: { dtype: 'BF16', shape: [3], data: [1, -2, 0.5] },
      f: { dtype: 'F32', shape: [1, 3], data: [1, 2, 3] },
    });
    const r = await SafetensorsReader.open(new BytesSource(bytes));
    const { device, writes } = fakeDevice();

    const t1 = await r.toDevice(device, 'h');
    expect(t1.dtype).toBe('f32');
    expect(Array.from(new Float32Array(writes[0].buffer))).toEqual([1, -2, Infinity]);

    const t2 = await r.toDevice(device, 'h', { dtype: 'f16' });
    expect(t2.dtype).toBe('f16');
    expect(t2.shape).toEqual([3]);
    expect(Array.from(new Uint16Array(writes[1].buffer))).toEqual(Array.from(h));

    const t3 = await r.toDevice(device, 'b', { dtype: 'f16' });
    expect(t3.dtype).toBe('f16');
    expect(Array.from(new Uint16Array(writes[2].buffer))).toEqual([0x3c00, 0xc000, 0x3800]);

    const t4 = await r.toDevice(device, 'f');
    expect(t4.shape).toEqual([1, 3]);
    expect(Array.from(new Float32Array(writes[3].buffer))).toEqual([1, 2, 3]);
  });
});

describe('reading files', () => {
  it('FileSource reads only the header and the requested ranges', async () => {
    const path = join(dir, 'ranges.safetensors');
    const big = new Float32Array(4096).map((_, i) => i);
    await writeSafetensorsFile(path, {
      a: { dtype: 'F32', shape: [4096], data: big },
      b: { dtype: 'F32', shape: [4], data: [1, 2, 3, 4] },
      c: { dtype: 'F16', shape: [4096], data: big },
    });
    const src = recording(await FileSource.open(path));
    const r = await SafetensorsReader.open(src);
    expect(src.reads.length).toBe(2); // length prefix, then the header
    expect(src.reads[0]).toEqual([0, 8]);
    expect(Array.from(await r.readF32('b'))).toEqual([1, 2, 3, 4]);
    expect(src.reads.length).toBe(3);
    expect(src.reads[2][1]).toBe(16);
    for (const [o, n] of src.reads) expect(o === 0 && n >= src.size).toBe(false);
    expect(src.reads.reduce((s, [, n]) => s + n, 0)).toBeLessThan(src.size / 10);
    await r.close();
    await expect(src.read(0, 8)).rejects.toThrow('read after close()');
  });

  it('BlobSource reads slices of a Blob', async () => {
    const bytes = encodeSafetensors({ x: { dtype: 'F32', shape: [3], data: [1, 2, 3] } });
    const r = await SafetensorsReader.open(new BlobSource(new Blob([bytes]), 'blob.safetensors'));
    expect(Array.from(await r.readF32('x'))).toEqual([1, 2, 3]);
  });

  it('a missing file is "no such file"', async () => {
    const path = join(dir, 'nope.safetensors');
    await expect(FileSource.open(path)).rejects.toMatchObject({ name: 'SafetensorsError', message: `${path}: no such file` });
  });

  it('a missing key names the key and close matches', async () => {
    const r = await SafetensorsReader.open(new BytesSource(await readFile(FIXTURE), FIXTURE));
    let e: Error | null = null;
    try {
      await r.readF32('img_in.weight');
    } catch (err) {
      e = err as Error;
    }
    expect(e?.name).toBe('SafetensorsError');
    expect(e?.message).toContain("no tensor 'img_in.weight'");
    expect(e?.message).toContain("'weights.img_in.weight'");
    expect(() => r.info('zzzzzzzzzzzzzzzzzzzzzzzzzzzz')).toThrow('holds 96 tensors');
    await r.close();
  });

  it('a file truncated after open is a short read, not garbage', async () => {
    const full = encodeSafetensors({ x: { dtype: 'F32', shape: [4], data: [1, 2, 3, 4] } });
    const src = new BytesSource(full, 'shrinks.safetensors');
    const r = await SafetensorsReader.open(src);
    (src as unknown as { bytes: Uint8Array }).bytes = full.subarray(0, full.length - 4);
    await expect(r.readF32('x')).rejects.toMatchObject({ name: 'SafetensorsError', message: expect.stringContaining('short read') });
  });
});

describe('malformed files', () => {
  const f32x6 = new Uint8Array(24);

  it('truncated: shorter than 8 bytes', async () => {
    await expectBad(new Uint8Array(5), 'tiny.safetensors', 'truncated', '5 bytes');
  });

  it('header length past the end of the file', async () => {
    const bytes = rawFile({ x: { dtype: 'F32', shape: [6], data_offsets: [0, 24] } }, f32x6, 5000n);
    await expectBad(bytes, 'longhdr.safetensors', 'header length 5000 runs past the end of the file');
  });

  it('absurd header length', async () => {
    await expectBad(rawFile({}, new Uint8Array(0), 1n << 60n), 'absurd.safetensors', 'absurd');
  });

  it('invalid JSON', async () => {
    await expectBad(rawFile('{"x": {"dtype": "F32",'), 'badjson.safetensors', 'not valid JSON');
  });

  it('JSON nested 100,000 deep, in the metadata or in a shape, is an error naming the file', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    await expectBad(rawFile(`{"__metadata__":{"a":${deep}}}`), 'deep-meta.safetensors', "__metadata__ 'a' is a deeply nested array");
    await expectBad(
      rawFile(`{"t":{"dtype":"F32","shape":${deep},"data_offsets":[0,0]}}`),
      'deep-shape.safetensors',
      "tensor 't' has shape a deeply nested array",
    );
  });

  it('JSON that is not an object', async () => {
    await expectBad(rawFile('[1, 2]'), 'array.safetensors', 'not a JSON object');
  });

  it('invalid UTF-8', async () => {
    const bytes = rawFile('{"x":1}');
    bytes[10] = 0xff;
    await expectBad(bytes, 'utf8.safetensors', 'not valid UTF-8');
  });

  it('unknown dtype is refused by name', async () => {
    const bytes = rawFile({ ids: { dtype: 'U8', shape: [3], data_offsets: [0, 3] } }, f32x6);
    await expectBad(bytes, 'u8.safetensors', "tensor 'ids' has dtype U8; cleardit reads F32, F16, BF16, I32, I64");
  });

  it('missing field', async () => {
    const bytes = rawFile({ x: { dtype: 'F32', data_offsets: [0, 24] } }, f32x6);
    await expectBad(bytes, 'noshape.safetensors', "tensor 'x' has no shape");
  });

  it('shape not matching the byte range', async () => {
    const bytes = rawFile({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, f32x6);
    await expectBad(bytes, 'span.safetensors', "tensor 'w'", 'shape [2,3] × F32 needs 24 bytes but data_offsets span 20');
  });

  it('overlapping ranges name both tensors', async () => {
    const bytes = rawFile(
      {
        a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
        b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
      },
      f32x6,
    );
    await expectBad(bytes, 'overlap.safetensors', "'a'", "'b'", 'overlap');
  });

  it('data range past the end of the file', async () => {
    const bytes = rawFile({ x: { dtype: 'F32', shape: [8], data_offsets: [0, 32] } }, f32x6);
    await expectBad(bytes, 'short.safetensors', "tensor 'x'", 'run past the end of the file', 'truncated');
  });

  it('negative and non-integer shapes', async () => {
    const neg = rawFile({ x: { dtype: 'F32', shape: [-2, -3], data_offsets: [0, 24] } }, f32x6);
    await expectBad(neg, 'neg.safetensors', "tensor 'x' has shape [-2,-3]", 'non-negative integers');
    const frac = rawFile({ x: { dtype: 'F32', shape: [1.5, 4], data_offsets: [0, 24] } }, f32x6);
    await expectBad(frac, 'frac.safetensors', "tensor 'x' has shape [1.5,4]", 'non-negative integers');
  });

  it('metadata values must be strings', async () => {
    await expectBad(rawFile({ __metadata__: { seed: 3 } }), 'meta.safetensors', "__metadata__ 'seed'", 'not a string');
  });

  it('errors through FileSource carry the path', async () => {
    const path = join(dir, 'bad-on-disk.safetensors');
    await writeFile(path, rawFile({ ids: { dtype: 'U8', shape: [3], data_offsets: [0, 3] } }, f32x6));
    await expect(SafetensorsReader.open(await FileSource.open(path))).rejects.toMatchObject({
      name: 'SafetensorsError',
      message: expect.stringContaining(`${path}: tensor 'ids' has dtype U8`),
    });
  });
});

describe('atomic writer', () => {
  const t = (v: number) => ({ x: { dtype: 'F32' as const, shape: [2], data: [v, v] } });

  it('refuses to replace an existing file without overwrite, replaces it with overwrite, leaves no temp files', async () => {
    const sub = await mkdtemp(join(dir, 'w-'));
    const path = join(sub, 'model.safetensors');
    await writeSafetensorsFile(path, t(1));
    const before = await readFile(path);

    await expect(writeSafetensorsFile(path, t(2))).rejects.toMatchObject({
      name: 'SafetensorsError',
      message: `${path}: exists; pass overwrite: true to replace it`,
    });
    await expect(writeSafetensorsFile(path, t(2), undefined, { overwrite: false })).rejects.toThrow('exists');
    expect(Buffer.compare(await readFile(path), before)).toBe(0);

    await writeSafetensorsFile(path, t(3), { note: 'v3' }, { overwrite: true });
    const r = await SafetensorsReader.open(await FileSource.open(path));
    expect(Array.from(await r.readF32('x'))).toEqual([3, 3]);
    expect(r.metadata).toEqual({ note: 'v3' });
    await r.close();

    expect(await readdir(sub)).toEqual(['model.safetensors']);
  });

  it('removes the temp file when writing fails', async () => {
    const sub = await mkdtemp(join(dir, 'w-'));
    const path = join(sub, 'fail.safetensors');
    // data.length lies after validation: the F32 conversion then throws mid-stream.
    let calls = 0;
    const data = new Proxy([1, 2], {
      get(target, p, recv) {
        if (p === 'length' && ++calls > 1) throw new Error('disk on fire');
        return Reflect.get(target, p, recv);
      },
    });
    await expect(writeSafetensorsFile(path, { x: { dtype: 'F32', shape: [2], data } })).rejects.toMatchObject({
      name: 'SafetensorsError',
      message: expect.stringContaining('disk on fire'),
    });
    expect(await readdir(sub)).toEqual([]);
  });

  it('a missing directory is an error naming the path', async () => {
    const path = join(dir, 'no-such-dir', 'x.safetensors');
    await expect(writeSafetensorsFile(path, t(1))).rejects.toMatchObject({ name: 'SafetensorsError', message: expect.stringContaining(path) });
  });
});

describe('golden file flux-tiny-a', () => {
  it('has the documented tensors, metadata and layout', async () => {
    const src = recording(await FileSource.open(FIXTURE));
    const r = await SafetensorsReader.open(src);
    const keys = r.keys();
    expect(keys.filter((k) => k.startsWith('weights.')).length).toBe(84);
    expect(keys.filter((k) => k.startsWith('inputs.')).length).toBe(7);
    expect(keys.filter((k) => k.startsWith('outputs.')).length).toBe(5);
    expect(keys.length).toBe(96);
    expect(r.info('inputs.img')).toEqual({ dtype: 'F32', shape: [1, 64, 16], byteLength: 64 * 16 * 4 });
    expect(r.info('outputs.pe').shape).toEqual([1, 1, 71, 8, 2, 2]);
    expect(r.metadata.weight_seed).toBe('1001');
    expect(JSON.parse(r.metadata.config).hidden_size).toBe(64);

    // Back to back in sorted name order, from the start of the data region to the end of the file.
    const headerLen = src.reads[1][1];
    expect(headerLen % 8).toBe(0);
    let offset = 8 + headerLen;
    for (const k of [...keys].sort()) {
      const info = r.info(k);
      expect(info.dtype).toBe('F32');
      const host = await r.readHost(k);
      expect(src.reads.at(-1)).toEqual([offset, info.byteLength]);
      offset += info.byteLength;
      for (const v of host.data as Float32Array) if (!Number.isFinite(v)) throw new Error(`${k} has ${v}`);
    }
    expect(offset).toBe(src.size);

    const img = await r.readF32('inputs.img');
    expect(img.length).toBe(1024);
    const maxAbs = img.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(maxAbs).toBeGreaterThan(3.0);
    expect(maxAbs).toBeLessThan(3.1); // README: max abs 3.05
    expect(Array.from(await r.readF32('inputs.guidance'))).toEqual([3.5]);
    await r.close();
  });
});
