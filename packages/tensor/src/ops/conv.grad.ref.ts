// Plain float64 reference for conv.grad.ts: [dx, dweight, dbias] of conv2d against g.
import { host, type HostTensor } from './host.js';

export function conv2d(
  x: HostTensor,
  weight: HostTensor,
  g: HostTensor,
  opts: { padding?: number; stride?: number } = {},
): [HostTensor, HostTensor, HostTensor] {
  const [n, cin, h, w] = x.shape;
  const [cout, , kh, kw] = weight.shape;
  const [, , ho, wo] = g.shape;
  const pad = opts.padding ?? 0;
  const s = opts.stride ?? 1;
  const dx = host(x.shape);
  const dw = host(weight.shape);
  const db = host([cout]);
  for (let b = 0; b < n; b++)
    for (let co = 0; co < cout; co++)
      for (let oy = 0; oy < ho; oy++)
        for (let ox = 0; ox < wo; ox++) {
          const gv = g.data[((b * cout + co) * ho + oy) * wo + ox];
          db.data[co] += gv;
          for (let ci = 0; ci < cin; ci++)
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * s + ky - pad;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * s + kx - pad;
                if (ix < 0 || ix >= w) continue;
                const xi = ((b * cin + ci) * h + iy) * w + ix;
                const wi = ((co * cin + ci) * kh + ky) * kw + kx;
                dx.data[xi] += gv * weight.data[wi];
                dw.data[wi] += gv * x.data[xi];
              }
            }
        }
  return [dx, dw, db];
}
