#!/usr/bin/python3
"""Build the four stimulus sets of the zoo from Debian-packaged data.

Writes, for each dataset D in fmnist_test, fmnist_train, digits, emoji:
  stimuli/D.npy               uint8 images, (n, H, W) grey or (n, H, W, 3) RGB
                              (read by the feature extractors; not committed)
  stimuli/D.npz               the same array, compressed, key "images" (committed)
  features/D/ids.txt          one stimulus id per line (row order of every matrix)
  features/D/labels.txt       one integer class label per line
  features/D/classes.txt      class index -> class name
and stimuli/fmnist_train_heldout.txt: the train-split indices that the torch
models must never see (the fmnist_train stimuli).

Everything is seeded and deterministic (numpy Generator PCG64, fixed seed).
Usage: build_stimuli.py ZOO_DIR
"""
import gzip
import io
import os
import re
import sys

import numpy as np
from PIL import Image

SEED = 20241107
PER_CLASS = 30           # 10 classes x 30 = 300 stimuli for fmnist/digits
EMOJI_PER_CLASS = 50     # 6 groups x 50 = 300 stimuli
EMOJI_SIZE = 64
EMOJI_BG = (128, 128, 128)

FMNIST_DIR = "/usr/share/datasets/fashion-mnist"
FMNIST_CLASSES = ["t-shirt_top", "trouser", "pullover", "dress", "coat",
                  "sandal", "shirt", "sneaker", "bag", "ankle_boot"]
DIGITS_CSV = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
EMOJI_FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
EMOJI_TEST_CANDIDATES = ["/usr/share/unicode/emoji/emoji-test.txt",
                         "/usr/share/unicode-data/emoji/emoji-test.txt"]
EMOJI_GROUPS = ["Smileys & Emotion", "People & Body", "Animals & Nature",
                "Food & Drink", "Travel & Places", "Objects"]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fmnist(split):
    prefix = "t10k" if split == "test" else "train"
    x = read_idx(os.path.join(FMNIST_DIR, f"{prefix}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(FMNIST_DIR, f"{prefix}-labels-idx1-ubyte.gz"))
    return x, y.astype(np.int64)


def stratified(labels, per_class, rng):
    """Indices: per_class draws per class (without replacement), sorted by
    class then by index, so the order is stable and readable."""
    out = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        pick = np.sort(rng.choice(idx, size=per_class, replace=False))
        out.extend(pick.tolist())
    return np.array(out, dtype=np.int64)


def write_set(zoo, name, images, ids, labels, classes):
    os.makedirs(os.path.join(zoo, "stimuli"), exist_ok=True)
    fdir = os.path.join(zoo, "features", name)
    os.makedirs(fdir, exist_ok=True)
    images = np.ascontiguousarray(images)
    np.save(os.path.join(zoo, "stimuli", f"{name}.npy"), images)
    np.savez_compressed(os.path.join(zoo, "stimuli", f"{name}.npz"), images=images)
    with open(os.path.join(fdir, "ids.txt"), "w") as f:
        f.write("".join(f"{i}\n" for i in ids))
    with open(os.path.join(fdir, "labels.txt"), "w") as f:
        f.write("".join(f"{int(l)}\n" for l in labels))
    with open(os.path.join(fdir, "classes.txt"), "w") as f:
        f.write("".join(f"{i}\t{c}\n" for i, c in enumerate(classes)))
    print(f"{name}: {images.shape} {images.dtype}, {len(classes)} classes")


def build_fmnist(zoo):
    rng = np.random.Generator(np.random.PCG64(SEED))
    xt, yt = load_fmnist("test")
    sel = stratified(yt, PER_CLASS, rng)
    write_set(zoo, "fmnist_test", xt[sel], [f"fmnist_test_{i:05d}" for i in sel],
              yt[sel], FMNIST_CLASSES)
    xr, yr = load_fmnist("train")
    sel = stratified(yr, PER_CLASS, rng)
    write_set(zoo, "fmnist_train", xr[sel], [f"fmnist_train_{i:05d}" for i in sel],
              yr[sel], FMNIST_CLASSES)
    with open(os.path.join(zoo, "stimuli", "fmnist_train_heldout.txt"), "w") as f:
        f.write("".join(f"{i}\n" for i in sel))


def build_digits(zoo):
    rng = np.random.Generator(np.random.PCG64(SEED + 1))
    with gzip.open(DIGITS_CSV, "rt") as f:
        arr = np.loadtxt(f, delimiter=",")
    x8 = arr[:, :64].reshape(-1, 8, 8)
    y = arr[:, 64].astype(np.int64)
    sel = stratified(y, PER_CLASS, rng)
    imgs = []
    for i in sel:
        # 0..16 intensities -> 0..255, white digit on black like Fashion-MNIST
        im = Image.fromarray(np.round(x8[i] * (255.0 / 16.0)).astype(np.uint8), "L")
        imgs.append(np.asarray(im.resize((28, 28), Image.BILINEAR)))
    write_set(zoo, "digits", np.stack(imgs), [f"digits_{i:04d}" for i in sel], y[sel],
              [str(d) for d in range(10)])


def parse_emoji_test():
    path = next(p for p in EMOJI_TEST_CANDIDATES if os.path.exists(p))
    group = None
    out = []  # (group, codepoints, name)
    for line in open(path, encoding="utf-8"):
        m = re.match(r"# group: (.*)", line)
        if m:
            group = m.group(1).strip()
            continue
        if not line.strip() or line.startswith("#"):
            continue
        cps, rest = line.split(";", 1)
        status = rest.split("#", 1)[0].strip()
        if status != "fully-qualified":
            continue
        cps = [int(c, 16) for c in cps.split()]
        name = rest.split("#", 1)[1].strip().split(" ", 2)[-1]
        out.append((group, cps, name))
    return path, out


def build_emoji(zoo):
    from fontTools.ttLib import TTFont
    rng = np.random.Generator(np.random.PCG64(SEED + 2))
    font = TTFont(EMOJI_FONT)
    cmap = font.getBestCmap()
    strike = font["CBDT"].strikeData[0]
    _, entries = parse_emoji_test()
    # Only emoji that are one code point (optionally + VS16): their glyph is
    # reached through cmap without shaping; sequences (ZWJ, skin tones, flags)
    # would need GSUB ligature lookups.
    cands = {g: [] for g in EMOJI_GROUPS}
    for group, cps, name in entries:
        if group not in cands:
            continue
        base = [c for c in cps if c != 0xFE0F]
        if len(base) != 1 or base[0] not in cmap:
            continue
        gname = cmap[base[0]]
        if gname not in strike:
            continue
        cands[group].append((base[0], gname, name))
    imgs, ids, labels = [], [], []
    for gi, group in enumerate(EMOJI_GROUPS):
        pool = cands[group]
        pick = np.sort(rng.choice(len(pool), size=EMOJI_PER_CLASS, replace=False))
        for k in pick:
            cp, gname, _ = pool[k]
            g = strike[gname]
            g.ensureDecompiled()
            rgba = Image.open(io.BytesIO(g.imageData)).convert("RGBA")
            # pad to square, composite on a flat grey background, resize
            side = max(rgba.size)
            canvas = Image.new("RGBA", (side, side), EMOJI_BG + (255,))
            canvas.alpha_composite(rgba, ((side - rgba.size[0]) // 2, (side - rgba.size[1]) // 2))
            im = canvas.convert("RGB").resize((EMOJI_SIZE, EMOJI_SIZE), Image.LANCZOS)
            imgs.append(np.asarray(im))
            ids.append(f"emoji_u{cp:04x}")
            labels.append(gi)
    classes = [g.lower().replace(" & ", "_").replace(" ", "_") for g in EMOJI_GROUPS]
    write_set(zoo, "emoji", np.stack(imgs), ids, np.array(labels), classes)


def main():
    zoo = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    build_fmnist(zoo)
    build_digits(zoo)
    build_emoji(zoo)


if __name__ == "__main__":
    main()
