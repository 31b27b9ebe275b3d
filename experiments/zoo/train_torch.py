#!/usr/bin/python3
"""Train the zoo's small torch networks on Fashion-MNIST and extract features.

Models: {cnn, mlp} x {supervised, self-supervised (SimCLR / NT-Xent),
reconstruction (autoencoder)} x seeds. Every model has the same encoder
interface: encoder(x) -> 128-d vector (the representation we extract); the
objective only changes what sits on top of the encoder during training
(linear classifier, projection head, decoder).

Training data: TRAIN_N images of the Fashion-MNIST train split, drawn with a
fixed seed from the images NOT held out as the fmnist_train stimulus set
(stimuli/fmnist_train_heldout.txt), so that stimulus set is unseen.

Determinism: torch.manual_seed(seed), torch.use_deterministic_algorithms(True),
a fixed number of intra-op threads (ZOO_TORCH_THREADS, default 1), batch order
and augmentations drawn from torch.Generator objects seeded from the model seed.

Usage: train_torch.py ZOO_DIR [MODEL_NAME ...]   (default: all models)
Writes features/<dataset>/<model>.npy (float32) and cache/torch/<model>.json
(training log: losses, wall time) and cache/torch/<model>.pt (weights, not
committed).
"""
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

THREADS = int(os.environ.get("ZOO_TORCH_THREADS", "1"))
TRAIN_N = 10000
DATA_SEED = 7
BATCH = 128
EPOCHS = {"supervised": 4, "self-supervised": 6, "reconstruction": 4}
LR = 1e-3
SIMCLR_TEMPERATURE = 0.5
SIMCLR_BATCH = 256
EMBED = 128
SEEDS = [0, 1]
ARCHS = ["cnn", "mlp"]
OBJECTIVES = {"sup": "supervised", "ssl": "self-supervised", "ae": "reconstruction"}
DATASETS = ["fmnist_test", "fmnist_train", "digits", "emoji"]
FMNIST_DIR = "/usr/share/datasets/fashion-mnist"


def all_models():
    return [f"{a}_{o}_s{s}" for a in ARCHS for o in OBJECTIVES for s in SEEDS]


def parse_name(name):
    arch, obj, s = name.split("_")
    return arch, OBJECTIVES[obj], int(s[1:])


# ---------------------------------------------------------------- networks
class CNNEncoder(nn.Module):
    layer = "fc (ReLU output of the 3136->128 linear layer after two conv blocks)"

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc = nn.Linear(64 * 7 * 7, EMBED)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return F.relu(self.fc(x.flatten(1)))


class MLPEncoder(nn.Module):
    layer = "fc2 (ReLU output of the 256->128 linear layer; 784-256-128)"

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)
        self.fc2 = nn.Linear(256, EMBED)

    def forward(self, x):
        return F.relu(self.fc2(F.relu(self.fc1(x.flatten(1)))))


def make_encoder(arch):
    return CNNEncoder() if arch == "cnn" else MLPEncoder()


def make_head(objective):
    if objective == "supervised":
        return nn.Linear(EMBED, 10)
    if objective == "self-supervised":
        return nn.Sequential(nn.Linear(EMBED, EMBED), nn.ReLU(), nn.Linear(EMBED, 64))
    return nn.Sequential(nn.Linear(EMBED, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid())


# ---------------------------------------------------------------- data
def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def training_data(zoo):
    x = read_idx(os.path.join(FMNIST_DIR, "train-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(FMNIST_DIR, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    held = np.loadtxt(os.path.join(zoo, "stimuli", "fmnist_train_heldout.txt"), dtype=np.int64)
    pool = np.setdiff1d(np.arange(len(x)), held)
    rng = np.random.Generator(np.random.PCG64(DATA_SEED))
    idx = np.sort(rng.choice(pool, size=TRAIN_N, replace=False))
    assert not np.intersect1d(idx, held).size
    xt = torch.from_numpy(x[idx].astype(np.float32) / 255.0).unsqueeze(1)
    return xt, torch.from_numpy(y[idx]), idx


def stimuli_as_fmnist(zoo, dataset):
    """Stimuli mapped to the training format: 1x28x28 grey in [0, 1]."""
    a = np.load(os.path.join(zoo, "stimuli", f"{dataset}.npy"))
    x = torch.from_numpy(a.astype(np.float32) / 255.0)
    if x.dim() == 4:  # RGB emoji: ITU-R 601 luma, area-resize to 28x28
        x = (0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]).unsqueeze(1)
        x = F.interpolate(x, size=(28, 28), mode="area")
    else:
        x = x.unsqueeze(1)
    return x


PREPROCESSING = ("uint8 grey /255 -> [0,1], 1x28x28; RGB stimuli (emoji 64x64) -> "
                 "luma 0.299R+0.587G+0.114B, area-resized to 28x28; no mean/std normalisation")


# ---------------------------------------------------------------- SimCLR
def augment(x, gen):
    """Two-view SimCLR-style augmentation for 1x28x28 images, batched:
    random resized crop (scale 0.5..1 of the side, shifted), horizontal flip,
    brightness/contrast jitter, Gaussian noise."""
    n = x.shape[0]
    u = lambda *s: torch.rand(*s, generator=gen)
    scale = 0.5 + 0.5 * u(n)
    tx = (1 - scale) * (2 * u(n) - 1)
    ty = (1 - scale) * (2 * u(n) - 1)
    flip = torch.where(u(n) < 0.5, -1.0, 1.0)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = scale * flip
    theta[:, 1, 1] = scale
    theta[:, 0, 2] = tx
    theta[:, 1, 2] = ty
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    b = (u(n, 1, 1, 1) - 0.5) * 0.4
    c = 0.6 + 0.8 * u(n, 1, 1, 1)
    m = out.mean(dim=(1, 2, 3), keepdim=True)
    out = (out - m) * c + m + b
    out = out + 0.05 * torch.randn(out.shape, generator=gen)
    return out.clamp(0, 1)


def nt_xent(z1, z2, t):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = z1.shape[0]
    sim = z @ z.t() / t
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, target)


# ---------------------------------------------------------------- training
def train(name, zoo):
    arch, objective, seed = parse_name(name)
    torch.manual_seed(1000 + seed)
    enc, head = make_encoder(arch), make_head(objective)
    x, y, _ = training_data(zoo)
    params = list(enc.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=LR)
    order_gen = torch.Generator().manual_seed(2000 + seed)
    aug_gen = torch.Generator().manual_seed(3000 + seed)
    bs = SIMCLR_BATCH if objective == "self-supervised" else BATCH
    log = []
    t0 = time.time()
    for epoch in range(EPOCHS[objective]):
        perm = torch.randperm(len(x), generator=order_gen)
        tot, cnt = 0.0, 0
        for k in range(0, len(x) - bs + 1, bs):  # drop last partial batch
            b = perm[k:k + bs]
            xb = x[b]
            if objective == "supervised":
                loss = F.cross_entropy(head(enc(xb)), y[b])
            elif objective == "self-supervised":
                v1, v2 = augment(xb, aug_gen), augment(xb, aug_gen)
                loss = nt_xent(head(enc(v1)), head(enc(v2)), SIMCLR_TEMPERATURE)
            else:
                loss = F.mse_loss(head(enc(xb)), xb.flatten(1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += loss.item() * len(b)
            cnt += len(b)
        log.append(tot / cnt)
        print(f"{name} epoch {epoch} loss {tot / cnt:.4f} ({time.time() - t0:.0f}s)", flush=True)
    return enc, head, log, time.time() - t0


def extract(enc, zoo, name):
    enc.eval()
    dims = {}
    with torch.no_grad():
        for ds in DATASETS:
            f = enc(stimuli_as_fmnist(zoo, ds)).numpy().astype(np.float32)
            out = os.path.join(zoo, "features", ds, f"{name}.npy")
            np.save(out, f)
            dims[ds] = list(f.shape)
    return dims


def info(name):
    arch, objective, seed = parse_name(name)
    enc = make_encoder(arch)
    return {
        "family": "trained",
        "objective": objective,
        "architecture": arch,
        "data": "fmnist",
        "training_data": f"Fashion-MNIST train split, {TRAIN_N} images drawn with seed {DATA_SEED} "
                         "excluding the 300 fmnist_train stimuli",
        "layer": enc.layer,
        "dim": EMBED,
        "preprocessing": PREPROCESSING,
        "training": {
            "objective_detail": {
                "supervised": "cross-entropy, linear 128->10 head",
                "self-supervised": f"SimCLR NT-Xent, temperature {SIMCLR_TEMPERATURE}, projection "
                                   "head 128-128-64, augmentations: random resized crop (scale 0.5-1), "
                                   "h-flip, brightness/contrast jitter, Gaussian noise sd 0.05",
                "reconstruction": "autoencoder, MSE to the 784 input pixels, decoder 128-256-784 sigmoid",
            }[objective],
            "optimizer": f"Adam lr {LR}",
            "batch_size": SIMCLR_BATCH if objective == "self-supervised" else BATCH,
            "epochs": EPOCHS[objective],
            "seed": seed,
            "torch_manual_seed": 1000 + seed,
            "batch_order_generator_seed": 2000 + seed,
            "augmentation_generator_seed": 3000 + seed,
            "threads": THREADS,
            "deterministic_algorithms": True,
        },
    }


def main():
    zoo = sys.argv[1]
    names = sys.argv[2:] or all_models()
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)
    cache = os.path.join(zoo, "cache", "torch")
    os.makedirs(cache, exist_ok=True)
    for name in names:
        enc, head, log, secs = train(name, zoo)
        dims = extract(enc, zoo, name)
        torch.save({"encoder": enc.state_dict(), "head": head.state_dict()},
                   os.path.join(cache, f"{name}.pt"))
        meta = info(name)
        meta["train_seconds"] = round(secs, 1)
        meta["loss_per_epoch"] = [round(v, 5) for v in log]
        meta["shapes"] = dims
        with open(os.path.join(cache, f"{name}.json"), "w") as f:
            json.dump(meta, f, indent=1)
        print(f"{name}: done in {secs:.0f}s", flush=True)


if __name__ == "__main__":
    main()
