"""Draw the README's picture of the trained models that ship with the package: `images/zoo_models.png`.

Three panels, each from a zoo entry's own sample figure (`stargan_edu.zoo.preview`: held-out Toy Faces of the data set
the entry was trained on, never seen in training):

* StarGAN v1 (`v1-toyfaces`): each face, then its five edits (each hair colour, sex flipped, age flipped);
* StarGAN v2 (`v2-toyfaces`), latent-guided: each face, then two random style codes per hair colour;
* StarGAN v2, reference-guided: the top row holds the references, each row one source face translated into the
  hair colour and style of each reference.

    python tools/readme_figure.py              # writes images/zoo_models.png
    python tools/readme_figure.py --out x.png
"""
from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "images" / "zoo_models.png"))
    ap.add_argument("--seed", type=int, default=7, help="which held-out faces (zoo.preview's seed)")
    ap.add_argument("--dpi", type=int, default=100)
    args = ap.parse_args(argv)

    import matplotlib
    matplotlib.use("Agg")
    matplotlib.rcParams["image.interpolation"] = "nearest"   # 32-px images drawn as they are: crisp, small PNG
    import matplotlib.pyplot as plt
    import torch

    from stargan_edu import zoo
    from stargan_edu.core import seed_everything, show_grid

    seed_everything(0)
    torch.set_num_threads(1)
    v1, v2 = zoo.load("v1-toyfaces", device="cpu"), zoo.load("v2-toyfaces", device="cpu")
    g1 = zoo.preview(v1, n=16, seed=args.seed)                 # rows: x, then its 5 edits
    g2 = zoo.preview(v2, n=16, seed=args.seed)                 # 4 latent rows, then a sources × references block
    c1, c2 = v1.sample_ncol, v2.sample_ncol
    n_z = (c2 - 1) // len(v2.cfg.label_names)
    lat, ref = g2[:4 * c2], g2[4 * c2:]

    hair = {"Black_Hair": "black", "Blond_Hair": "blond", "Brown_Hair": "brown", "Male": "sex", "Young": "age"}
    t1 = ["input"] + [hair.get(n, n) for n in v1.cfg.label_names]
    t2 = ["input"] + [f"{d}" if j == 0 else "" for d in v2.cfg.label_names for j in range(n_z)]
    t3 = ["", "references →"] + [""] * (c2 - 2)

    widths = [c1, c2, c2]
    fig, axes = plt.subplots(1, 3, figsize=(0.62 * sum(widths) + 1.2, 4.4),
                             gridspec_kw={"width_ratios": widths, "wspace": 0.08})
    show_grid(g1[:4 * c1], ncol=c1, titles=t1, ax=axes[0])
    show_grid(lat, ncol=c2, titles=t2, ax=axes[1])
    show_grid(ref, ncol=c2, titles=t3, ax=axes[2])
    axes[0].set_title("StarGAN v1 (v1-toyfaces):\none generator, five edits", fontsize=10, pad=16)
    axes[1].set_title(f"StarGAN v2 (v2-toyfaces), latent-guided:\n{n_z} random styles per hair colour", fontsize=10, pad=16)
    axes[2].set_title("StarGAN v2, reference-guided:\nhair colour and style of the reference", fontsize=10, pad=16)
    for ax in axes[1:]:
        ax.set_anchor("N")
    axes[0].set_anchor("N")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=args.dpi, bbox_inches="tight", facecolor="white")
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB)")
    return out


if __name__ == "__main__":
    main()
