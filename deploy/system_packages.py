"""Install the Debian packages Cascade needs beyond Python: what the office documents render with, and what
building FerretDB takes.

WeasyPrint (from PyPI) draws the 公文 PDF with the system's Pango and finds
fonts through fontconfig. Debian packages, installed when missing:

- fonts-noto-cjk: Noto Serif CJK SC stands in for 宋体/仿宋 and, in Bold, for 小标宋; Noto Sans CJK SC for 黑体;
- fonts-arphic-ukai: AR PL UKai CN for 楷体;
- fontconfig: fc-list, which the renderer asks which fonts are there;
- libpango-1.0-0, libpangoft2-1.0-0: WeasyPrint's text layout;
- libharfbuzz-subset0: font subsetting in C; without it WeasyPrint falls back to fontTools, which takes
  ~30 s per CJK font to subset instead of well under a second;
- poppler-utils: pdftotext and pdftoppm, to check a PDF's text and look at its pages.

With --build, instead, what deploy/ferretdb/build.sh needs (missing when its command is not on PATH):

- patch: applies Cascade's patches to FerretDB, its SQLite driver and that driver's C library.

The Makefile's bin/ferretdb runs `--build` with the Python it found, before the virtual environment exists:
this file uses the standard library only.

    python deploy/system_packages.py                    install what is missing (as root, or with sudo)
    python deploy/system_packages.py --check            list what is missing; exit 1 if anything is
    python deploy/system_packages.py --build [--check]  the same for what building FerretDB needs

Does nothing when everything is there, so every set-up may call it.
"""

import os
import shutil
import subprocess
import sys

PACKAGES = [
    "fontconfig",
    "fonts-noto-cjk",
    "fonts-arphic-ukai",
    "libpango-1.0-0",
    "libpangoft2-1.0-0",
    "libharfbuzz-subset0",
    "poppler-utils",
]
# Debian package: the command build.sh runs from it
BUILD_PACKAGES = {"patch": "patch"}


def missing(packages: list[str] = PACKAGES) -> list[str]:
    if shutil.which("dpkg-query") is None:
        return list(packages)
    out = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n", *packages], capture_output=True, text=True
    ).stdout
    installed = {line.split()[0] for line in out.splitlines() if line.endswith(" installed")}
    return [p for p in packages if p not in installed]


def main(argv: list[str]) -> int:
    build = "--build" in argv
    need = [p for p, command in BUILD_PACKAGES.items() if shutil.which(command) is None] if build else missing()
    purpose = "to build FerretDB" if build else "for the office documents"
    if "--check" in argv:
        if need:
            print("missing Debian packages: " + " ".join(need), file=sys.stderr)
        return 1 if need else 0
    if not need:
        return 0
    if shutil.which("apt-get") is None:
        print(f"{' '.join(need)} needed {purpose}: install them with your package manager", file=sys.stderr)
        return 1
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"installing {' '.join(need)} {purpose}…", flush=True)
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *need], check=True, env=env)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
