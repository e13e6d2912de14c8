// Plain float64 reference for conv.ts.
import { host, type HostTensor } from './host.js';

export function conv2d(x: HostTensor, weight: HostTensor, opts: { bias?: HostTensor; padding?: number; stride?: number } = {}): HostTensor {
  const [n, cin, h, w] = x.shape;
  const [cout, , kh, kw] = weight.shape;
  const pad = opts.padding ?? 0;
  const s = opts.stride ?? 1;
  const ho = Math.floor((h + 2 * pad - kh) / s) + 1;
  const wo = Math.floor((w + 2 * pad - kw) / s) + 1;
  const out = host([n, cout, ho, wo]);
  for (let b = 0; b < n; b++)
    for (let co = 0; co < cout; co++)
      for (let oy = 0; oy < ho; oy++)
        for (let ox = 0; ox < wo; ox++) {
          let acc = opts.bias?.data[co] ?? 0;
          for (let ci = 0; ci < cin; ci++)
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * s + ky - pad;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * s + kx - pad;
                if (ix < 0 || ix >= w) continue;
                acc += x.data[((b * cin + ci) * h + iy) * w + ix] * weight.data[((co * cin + ci) * kh + ky) * kw + kx];
              }
            }
          out.data[((b * cout + co) * ho + oy) * wo + ox] = acc;
        }
  return out;
}
