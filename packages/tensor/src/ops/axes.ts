// A shape seen as [outer, len, inner] around one axis: how the row ops (reduce-kit.ts) and the layout
// ops address elements, in their kernels and their float64 references alike. Internal: not exported
// from the package.

import type { Shape } from '../shape.js';

/**
 * `shape` seen as [outer, len, inner] around `axis` (negative counts from the end): the products of
 * the axes before and after it. Row ops and layout ops address elements this way.
 */
export function axisGeometry(shape: Shape, axis: number): { ax: number; outer: number; len: number; inner: number } {
  const ax = axis < 0 ? axis + shape.length : axis;
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < ax; i++) outer *= shape[i];
  for (let i = ax + 1; i < shape.length; i++) inner *= shape[i];
  return { ax, outer, len: shape[ax], inner };
}

/** The products of the axes before and after `axis` (which must be in range). */
export function outerInner(shape: Shape, axis: number): [number, number] {
  const { outer, inner } = axisGeometry(shape, axis);
  return [outer, inner];
}

/**
 * Calls `f` once per row along `axis` (outer·inner rows of `len` elements at stride `inner`): `at(j)`
 * is the flat index of the row's j-th element, `row` the row's index (o·inner + c), which is also its
 * element's index in the reduced shape. The row ops' float64 references walk their rows this way.
 */
export function forEachRow(shape: Shape, axis: number, f: (at: (j: number) => number, row: number, len: number) => void): void {
  const { outer, inner, len } = axisGeometry(shape, axis);
  for (let o = 0; o < outer; o++) for (let c = 0; c < inner; c++) f((j) => (o * len + j) * inner + c, o * inner + c, len);
}
