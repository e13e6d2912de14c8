// PNG output: RGBA (or grayscale) pixels with the generation parameters in text chunks — `parameters` in the
// A1111/stable-diffusion.cpp style that image viewers and tools already read, and `cleardit` as JSON —
// written atomically and never over an existing file unless asked.
import { crc32 } from 'node:zlib';
import { encode, decode } from 'fast-png';
import { writeFileAtomic } from '@cleardit/tensor/node';

const isLatin1 = (s: string) => [...s].every((ch) => ch.codePointAt(0)! <= 0xff);

/**
 * RGBA pixels, or one grayscale channel with `channels` 1. Text Latin-1 can hold goes in tEXt chunks;
 * other text (a prompt in another script, emoji) in iTXt chunks as UTF-8, which fast-png does not
 * write, so they are added here before IEND.
 */
export function encodePng(pixels: Uint8Array, width: number, height: number, text: Record<string, string>, channels: 1 | 4 = 4): Uint8Array {
  const plain = Object.fromEntries(Object.entries(text).filter(([, v]) => isLatin1(v)));
  const png = encode({ width, height, data: pixels, channels, depth: 8, text: plain });
  const intl = Object.entries(text).filter(([, v]) => !isLatin1(v));
  if (!intl.length) return png;
  const chunks = intl.map(([k, v]) => chunk('iTXt', Buffer.concat([Buffer.from(`${k}\0\0\0\0\0`, 'latin1'), Buffer.from(v, 'utf8')])));
  const iend = png.length - 12;
  return Buffer.concat([png.subarray(0, iend), ...chunks, png.subarray(iend)]);
}

/** One PNG chunk: length, type, data, CRC-32 of type and data. */
function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** The uncompressed iTXt chunks of a PNG (keyword → UTF-8 text). */
function readItxt(bytes: Uint8Array): Record<string, string> {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Record<string, string> = {};
  for (let at = 8; at + 12 <= b.length;) {
    const len = b.readUInt32BE(at);
    const type = b.toString('latin1', at + 4, at + 8);
    if (type === 'iTXt') {
      const data = b.subarray(at + 8, at + 8 + len);
      const kw = data.indexOf(0);
      if (data[kw + 1] === 0) {
        let p = data.indexOf(0, kw + 3); // end of the language tag
        p = data.indexOf(0, p + 1); // end of the translated keyword
        out[data.toString('latin1', 0, kw)] = data.toString('utf8', p + 1);
      }
    }
    at += 12 + len;
  }
  return out;
}

export async function writePng(path: string, png: Uint8Array, overwrite: boolean): Promise<void> {
  await writeFileAtomic(path, png, { overwrite });
}

/** Width, height and text chunks of a PNG (tests, and `--init-image` style reuse later). */
export function readPngInfo(bytes: Uint8Array): { width: number; height: number; text: Record<string, string> } {
  const img = decode(bytes);
  return { width: img.width, height: img.height, text: { ...img.text, ...readItxt(bytes) } };
}

/** Pictures of one size (`channels` values a pixel) tiled row by row into `cols` columns. */
export function tile(
  pictures: readonly Uint8Array[],
  width: number,
  height: number,
  channels: number,
  cols: number,
): { pixels: Uint8Array; width: number; height: number } {
  const rows = Math.ceil(pictures.length / cols);
  const W = cols * width;
  const pixels = new Uint8Array(W * rows * height * channels);
  pictures.forEach((p, i) => {
    const [r, c] = [Math.floor(i / cols), i % cols];
    for (let y = 0; y < height; y++) pixels.set(p.subarray(y * width * channels, (y + 1) * width * channels), ((r * height + y) * W + c * width) * channels);
  });
  return { pixels, width: W, height: rows * height };
}
