// The host tensor the plain references compute on: a shape and float64 values, row-major.
import { numel, type Shape } from '../shape.js';
import { ShapeError } from '../errors.js';

export interface HostTensor {
  shape: number[];
  data: Float64Array;
}

export function host(shape: Shape, data?: ArrayLike<number>): HostTensor {
  const n = numel(shape);
  const d = new Float64Array(n);
  if (data) {
    if (data.length !== n) throw new ShapeError('host', `${data.length} values for shape [${shape.join(',')}]`);
    d.set(data);
  }
  return { shape: [...shape], data: d };
}
