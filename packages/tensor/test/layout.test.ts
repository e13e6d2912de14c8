import { describe, it, beforeAll, expect } from 'vitest';
import { type Device, permute, transpose, concat, slice, split, indexSelect, gather, upsampleNearest2x, ref, tensor } from '../src/index.js';
import { getDevice, randHost, up, expectClose } from './helpers.js';

const EXACT = { atol: 0 };
let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

describe('layout ops are exact', () => {
  it('permute and transpose', async () => {
    const cases: [number[], number[]][] = [
      [[7], [0]],
      [
        [3, 33],
        [1, 0],
      ],
      [
        [2, 3, 5, 7],
        [0, 2, 1, 3],
      ],
      [
        [2, 3, 5, 7],
        [3, 1, 0, 2],
      ],
      [
        [1, 4, 1, 9, 2],
        [4, 3, 2, 1, 0],
      ],
    ];
    for (const [i, [shape, perm]] of cases.entries()) {
      const x = randHost(shape, i);
      await expectClose(permute(up(d, x), perm), ref.permute(x, perm), EXACT, `permute ${shape} ${perm}`);
    }
    const x = randHost([4, 5, 6], 9);
    await expectClose(transpose(up(d, x)), ref.permute(x, [0, 2, 1]), EXACT, 'transpose');
    expect(() => permute(up(d, x), [0, 0, 1])).toThrowError(/permute: \[0,0,1\] is not a permutation of 3 axes/);
  });

  it('concat, slice and split along every axis', async () => {
    const a = randHost([2, 3, 5], 20);
    const b = randHost([2, 4, 5], 21);
    const c = randHost([2, 1, 5], 22);
    await expectClose(concat([up(d, a), up(d, b), up(d, c)], 1), ref.concat([a, b, c], 1), EXACT, 'concat axis 1');
    const e = randHost([2, 3, 7], 23);
    await expectClose(concat([up(d, a), up(d, e)], -1), ref.concat([a, e], -1), EXACT, 'concat last');
    await expectClose(concat([up(d, a), up(d, a)], 0), ref.concat([a, a], 0), EXACT, 'concat first');
    const x = randHost([3, 33, 4], 24);
    await expectClose(slice(up(d, x), 1, 5, 29), ref.slice(x, 1, 5, 29), EXACT, 'slice');
    await expectClose(slice(up(d, x), -1, -3), ref.slice(x, -1, -3), EXACT, 'slice negative');
    const parts = split(up(d, x), [1, 30, 2], 1);
    const want = [ref.slice(x, 1, 0, 1), ref.slice(x, 1, 1, 31), ref.slice(x, 1, 31, 33)];
    for (let i = 0; i < 3; i++) await expectClose(parts[i], want[i], EXACT, `split ${i}`);
    expect(() => concat([up(d, a), up(d, randHost([3, 3, 5], 1))], 1)).toThrowError(/concat: shapes \[2,3,5\], \[3,3,5\] differ outside axis 1/);
    expect(() => slice(up(d, x), 1, 10, 40)).toThrowError(/slice: range 10:40 is outside axis 1 of \[3,33,4\]/);
  });

  it('gather (embedding) and index select (token reordering)', async () => {
    const table = randHost([11, 7], 30);
    const idx = [3, 10, 0, 3, 7];
    const got = gather(up(d, table), tensor(d, idx, [5], 'i32'));
    await expectClose(got, ref.indexSelect(table, 0, ref.host([5], idx)), EXACT, 'gather');
    const x = randHost([2, 9, 3], 31);
    const order = [8, 7, 6, 5, 4, 3, 2, 1, 0];
    await expectClose(indexSelect(up(d, x), 1, tensor(d, order, [9], 'u32')), ref.indexSelect(x, 1, ref.host([9], order)), EXACT, 'indexSelect axis 1');
    const out = await gather(up(d, table), tensor(d, [-1, 11], [2], 'i32')).toArray();
    expect(Array.from(out)).toEqual(new Array(14).fill(0));
  });

  it('nearest 2× upsampling', async () => {
    for (const [i, shape] of [
      [1, 1, 1, 1],
      [2, 3, 5, 7],
      [1, 2, 33, 3],
    ].entries()) {
      const x = randHost(shape, 40 + i);
      await expectClose(upsampleNearest2x(up(d, x)), ref.upsampleNearest2x(x), EXACT, `upsample ${shape}`);
    }
  });

  it('reshape is a view and rejects a wrong element count', async () => {
    const x = up(d, randHost([2, 6], 50));
    const v = x.reshape([3, -1]);
    expect(v.shape).toEqual([3, 4]);
    expect(Array.from(await v.toArray())).toEqual(Array.from(await x.toArray()));
    expect(() => x.reshape([5, 2])).toThrowError(/reshape: cannot view \[2,6\] \(12 elements\) as \[5,2\]/);
  });
});
