"""``python -m bench [name [options…]]``: run every benchmark, or the one named (with its options).

python -m bench                       # all of them, with their defaults
python -m bench issue_throughput -h   # one, and its options
python -m bench --list
"""

import importlib
import pkgutil
import sys
from pathlib import Path


def benchmarks() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    names = benchmarks()
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    if argv[:1] == ["--list"]:
        print("\n".join(names))
        return 0
    if argv:
        name, rest = argv[0], argv[1:]
        if name not in names:
            print(f"no benchmark {name!r}; there are: {', '.join(names)}", file=sys.stderr)
            return 2
        return importlib.import_module(f"bench.{name}").main(rest)
    failed = 0
    for name in names:
        print(f"\n=== bench.{name}", flush=True)
        failed += importlib.import_module(f"bench.{name}").main([]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
