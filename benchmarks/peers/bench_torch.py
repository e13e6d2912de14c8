"""The PyTorch peer of the benchmark suite (benchmarks/src/suite/cases.ts), on the CPU.

Reads the suite's cases as JSON on stdin and times those PyTorch can run the same way:
  matmul     torch.mm on [n, n] float32
  attention  F.scaled_dot_product_attention on [1, H, L, D]; CLEAR as a dense boolean mask built
             from the same rule as @cleardit/attention's isVisible (text rows see every key; an image
             query sees every text key and the image keys with dy² + dx² < r²)
  block/step the digit DiT of train_dit.py (no_grad, batch 2), full or with the CLEAR mask
  train      train_dit.py's training step (flow matching + AdamW, batch 32)
FLUX-shaped rows are skipped: there is no FLUX in this peer. Timing: one warm-up call, then at least 3
and at most 7 calls within 10 s; median, min and max of wall time. Prints one JSON object:
{"rows": [...], "skipped": [...]} with the suite's row fields.
"""
import json, sys, time, os

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_dit import DiT  # noqa: E402


def clear_mask(T, side, r):
    L = T + side * side
    m = torch.zeros(L, L, dtype=torch.bool)
    m[:T, :] = True
    m[:, :T] = True
    idx = torch.arange(side * side)
    y, x = idx // side, idx % side
    m[T:, T:] = (y[:, None] - y[None, :]) ** 2 + (x[:, None] - x[None, :]) ** 2 < r * r
    return m


def timed(call, budget_s=10.0):
    call()
    times = []
    start = time.perf_counter()
    while len(times) < 7 and (len(times) < 3 or time.perf_counter() - start < budget_s):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    n = len(times)
    med = times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2
    return {'warmup': 1, 'reps': n, 'medianMs': med, 'minMs': times[0], 'maxMs': times[-1], 'method': 'wall', 'wallMedianMs': med}


def prepare(c):
    s, g = c['shapes'], c['group']
    if g == 'matmul':
        a, b = torch.randn(s['n'], s['n']), torch.randn(s['n'], s['n'])
        return lambda: torch.mm(a, b)
    if g == 'attention':
        H, L, D = s['heads'], s['tokens'], s['headDim']
        q, k, v = (torch.randn(1, H, L, D) for _ in range(3))
        mask = None if s['radius'] == 'full' else clear_mask(s['textLength'], s['grid'], s['radius'])
        return lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    if g in ('block', 'step') and s['model'] == 'digit DiT':
        model = DiT(s['width'], depth=s['depth'], heads=s['heads'], size=s['pixels']).eval()
        mask = None if s['radius'] == 'full' else clear_mask(0, s['grid'], s['radius'])
        for b in model.blocks:
            b.mask = mask
        x, t, y = torch.randn(2, 1, s['pixels'], s['pixels']), torch.tensor([500.0, 500.0]), torch.tensor([3, 10])

        def step():
            with torch.no_grad():
                model(x, t, y)
        return step
    if g == 'train':
        model = DiT(s['width'], depth=s['depth'], heads=s['heads'])
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        B = s['batch']

        def train_step():
            x0 = torch.randn(B, 1, 32, 32)
            eps = torch.randn_like(x0)
            t = torch.rand(B)
            y = torch.randint(0, 10, (B,))
            loss = F.mse_loss(model(x0 + t.view(-1, 1, 1, 1) * (eps - x0), t * 1000, y), eps - x0)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return train_step
    return None


def main():
    cases = json.load(sys.stdin)
    budget_ms = float(os.environ.get('BENCH_CALL_BUDGET_MS', '15000'))
    torch.manual_seed(0)
    rows, skipped, last = [], [], {}
    adapter = f'cpu ({torch.get_num_threads()} threads)'
    for c in cases:
        base = {'id': c['id'], 'impl': 'torch', 'runtime': 'python'}
        prev = last.get(c['series'])
        if prev and prev[1] * c['flops'] / prev[0] > budget_ms:
            skipped.append({**base, 'reason': 'predicted over the per-call budget'})
            continue
        call = prepare(c)
        if call is None:
            skipped.append({**base, 'reason': 'no PyTorch implementation of this model in the peer'})
            continue
        timing = timed(call)
        last[c['series']] = (c['flops'], timing['medianMs'])
        rows.append({**base, 'group': c['group'], 'series': c['series'], 'version': torch.__version__, 'adapter': adapter,
                     'software': True, 'shapes': c['shapes'], 'size': c['size'], 'flops': c['flops'],
                     'flopsRule': c['flopsRule'], 'timing': timing, 'gflops': c['flops'] / timing['medianMs'] / 1e6})
        print(f"torch {c['id']}: {timing['medianMs']:.1f} ms", file=sys.stderr, flush=True)
    print(json.dumps({'rows': rows, 'skipped': skipped}))


if __name__ == '__main__':
    main()
