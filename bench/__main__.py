"""``python -m bench [NAME ...]``: run every benchmark module in bench/ (or the named ones);
``python -m bench NAME --option ...`` runs one benchmark with its own options."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench
from tradeoff.data.provenance import machine_line


def main(argv: list[str]) -> int:
    first_option = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    names, options = argv[:first_option], argv[first_option:]
    if options and len(names) != 1:
        print("bench: options go to one benchmark: python -m bench NAME --option ... "
              "(or python -m bench.NAME --option ...)", file=sys.stderr)
        return 2
    names = names or sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_"))
    print(f"machine: {machine_line()}")
    failed = 0
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"\n== bench.{name}")
        failed += int(bool(module.main(options)))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
