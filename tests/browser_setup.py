"""Make sure the browser tests can run: Debian's chromium and CJK fonts.

`playwright install` downloads its own browser, which fails on these
machines; Debian's chromium works (driven by the PyPI playwright package with
executable_path). Without fonts-noto-cjk every Chinese character renders as a
box in screenshots. Installs what is missing; does nothing when both are there.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FONTS_DIR = Path("/usr/share/fonts/opentype/noto")


def missing() -> list[str]:
    need = []
    if not Path(CHROMIUM).exists():
        need.append("chromium")
    if not any(FONTS_DIR.glob("NotoSansCJK*")):
        need.append("fonts-noto-cjk")
    return need


def main() -> int:
    need = missing()
    if not need:
        return 0
    if shutil.which("apt-get") is None:
        print(f"browser tests need {need}; install them with your package manager", file=sys.stderr)
        return 1
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"installing {' '.join(need)} for the browser tests…", flush=True)
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *need], check=True, env=env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
