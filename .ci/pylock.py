"""Write pylock.toml (the PEP 751 lock format) from the lock requirements.txt and the wheels that were installed.

    python .ci/pylock.py requirements.txt WHEEL_DIR pylock.toml

requirements.txt stays what the Makefile and CI install from (pip constraints; this pip has no pylock installer);
pylock.toml records the same versions in the standard format with the SHA-256 of each tested wheel, so that other
tools can read the lock and a reader can check a download. Every pin must have exactly one wheel in WHEEL_DIR
(``make lock`` fills it with ``pip download --no-deps``). Standard library only.
"""

from __future__ import annotations

import hashlib
import platform
import re
import sys
from pathlib import Path

INDEX = {"torch": "https://download.pytorch.org/whl/cpu"}  # the CPU wheel of torch comes from PyTorch's index
DEFAULT_INDEX = "https://pypi.org/simple"


def canonical(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(requirements: Path) -> dict[str, tuple[str, str]]:
    """``{canonical name: (name as written, version)}`` of every ``name==version`` line."""
    out = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            if not version:
                raise SystemExit(f"{requirements}: {line!r} is not an exact pin (name==version)")
            out[canonical(name)] = (name.strip(), version.strip())
    return out


def wheel_for(wheels: Path, name: str, version: str) -> Path:
    found = [w for w in wheels.glob("*.whl")
             if canonical(w.name.split("-")[0]) == canonical(name)
             and w.name.split("-")[1].split("+")[0] == version]
    if len(found) != 1:
        raise SystemExit(f"{wheels}: need exactly one wheel of {name}=={version}, found {len(found)}")
    return found[0]


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        raise SystemExit(__doc__.strip().splitlines()[2].strip())
    requirements, wheels, out = Path(argv[0]), Path(argv[1]), Path(argv[2])
    py = ".".join(platform.python_version_tuple()[:2])
    lines = ['lock-version = "1.0"', 'created-by = "tradeoff: make lock (.ci/pylock.py)"',
             f'requires-python = "=={py}.*"',
             f"environments = [\"python_version == '{py}' and sys_platform == '{sys.platform}' and "
             f"platform_machine == '{platform.machine()}'\"]", ""]
    for key, (name, version) in sorted(pins(requirements).items()):
        w = wheel_for(wheels, name, version)
        digest = hashlib.sha256(w.read_bytes()).hexdigest()
        lines += ["[[packages]]", f'name = "{key}"', f'version = "{version}"',
                  f'index = "{INDEX.get(key, DEFAULT_INDEX)}"',
                  f'wheels = [{{ name = "{w.name}", size = {w.stat().st_size}, hashes = {{ sha256 = "{digest}" }} }}]',
                  ""]
    tmp = out.with_suffix(".tmp")
    tmp.write_text("\n".join(lines))
    tmp.replace(out)
    print(f"wrote {out}: {len(pins(requirements))} packages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
