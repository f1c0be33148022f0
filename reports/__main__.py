"""``python -m reports ...`` is the same as the ``tradeoff`` command."""

from reports.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
