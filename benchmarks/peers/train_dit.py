"""The peer of `pnpm bench train-dit`: the same DiT training step in PyTorch on the CPU.

Class-conditional DiT with adaLN-Zero (facebookresearch/DiT's block: LayerNorm without affine and
eps 1e-6, modulate, attention, MLP with GELU-tanh), pixel space 32×32×1, patch 2, depth 4, 4 heads,
batch 32; flow matching x_t = (1 - t)·x0 + t·eps, target eps - x0, MSE; AdamW lr 1e-3. The fixed
sin-cos position table and the timestep frequencies are made as in DiT. Prints one JSON line:
{"torch": version, "threads": n, "first_ms": ..., "median_ms": ...}.
Run: python3 benchmarks/peers/train_dit.py --width 64 --steps 6
"""
import argparse, json, math, time

import torch
import torch.nn as nn
import torch.nn.functional as F


def modulate(x, shift, scale):
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(d, elementwise_affine=False, eps=1e-6)
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.norm2 = nn.LayerNorm(d, elementwise_affine=False, eps=1e-6)
        self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.ada = nn.Linear(d, 6 * d)
        self.mask = None  # a boolean [L, L] attention mask (True = visible), for CLEAR's disc; None = full

    def forward(self, x, c):
        B, L, D = x.shape
        s1, sc1, g1, s2, sc2, g2 = self.ada(F.silu(c)).chunk(6, dim=1)
        a = modulate(self.norm1(x), s1, sc1)
        h = lambda t: t.view(B, L, self.heads, D // self.heads).transpose(1, 2)
        o = F.scaled_dot_product_attention(h(self.q(a)), h(self.k(a)), h(self.v(a)), attn_mask=self.mask)
        x = x + g1.unsqueeze(1) * self.o(o.transpose(1, 2).reshape(B, L, D))
        m = self.fc2(F.gelu(self.fc1(modulate(self.norm2(x), s2, sc2)), approximate='tanh'))
        return x + g2.unsqueeze(1) * m


def pos_table(G, D):
    def one(dim, pos):
        omega = 1.0 / 10000 ** (torch.arange(dim // 2, dtype=torch.float64) / (dim / 2))
        out = pos.reshape(-1, 1).double() * omega
        return torch.cat([out.sin(), out.cos()], dim=1)
    gy, gx = torch.meshgrid(torch.arange(G), torch.arange(G), indexing='ij')
    return torch.cat([one(D // 2, gx), one(D // 2, gy)], dim=1).float().unsqueeze(0)


class DiT(nn.Module):
    def __init__(self, width, depth=4, heads=4, size=32, patch=2, channels=1, classes=10):
        super().__init__()
        self.p, self.c, self.G = patch, channels, size // patch
        self.embed = nn.Conv2d(channels, width, patch, stride=patch)
        self.register_buffer('pos', pos_table(self.G, width))
        self.t1, self.t2 = nn.Linear(256, width), nn.Linear(width, width)
        self.y = nn.Embedding(classes + 1, width)
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.ada = nn.Linear(width, 2 * width)
        self.out = nn.Linear(width, patch * patch * channels)

    def forward(self, x, t, y):
        n = x.shape[0]
        h = self.embed(x).flatten(2).transpose(1, 2) + self.pos
        half = 128
        freqs = torch.exp(-math.log(10000) * torch.arange(half) / half)
        args = t[:, None] * freqs[None]
        temb = torch.cat([torch.cos(args), torch.sin(args)], dim=1)
        c = self.t2(F.silu(self.t1(temb))) + self.y(y)
        for b in self.blocks:
            h = b(h, c)
        shift, scale = self.ada(F.silu(c)).chunk(2, dim=1)
        o = self.out(modulate(self.norm(h), shift, scale))
        G, p, C = self.G, self.p, self.c
        return o.view(n, G, G, p, p, C).permute(0, 5, 1, 3, 2, 4).reshape(n, C, G * p, G * p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--width', type=int, default=64)
    ap.add_argument('--steps', type=int, default=6)
    ap.add_argument('--batch', type=int, default=32)
    a = ap.parse_args()
    torch.manual_seed(0)
    model = DiT(a.width)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        x0 = torch.randn(a.batch, 1, 32, 32)
        eps = torch.randn_like(x0)
        t = torch.rand(a.batch)
        y = torch.randint(0, 10, (a.batch,))
        xt = x0 + t.view(-1, 1, 1, 1) * (eps - x0)
        loss = F.mse_loss(model(xt, t * 1000, y), eps - x0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        times.append((time.perf_counter() - t0) * 1000)
    rest = sorted(times[1:])
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(),
                      'params': sum(p.numel() for p in model.parameters()),
                      'first_ms': times[0], 'median_ms': rest[len(rest) // 2]}))


if __name__ == '__main__':
    main()
