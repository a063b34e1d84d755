"""Fonts for the PDF: the real 公文 fonts where the node has them, free stand-ins from Debian otherwise.

WeasyPrint finds fonts through fontconfig. The stand-ins come from Debian
packages that ``deploy/system_packages.py`` installs:

- ``fonts-noto-cjk``: Noto Serif CJK SC (宋体 and 仿宋; its Bold for the 小标宋 of titles and the 发文机关标志) and
  Noto Sans CJK SC (黑体 headings);
- ``fonts-arphic-ukai``: AR PL UKai CN (楷体 headings and 签发人 names).

Debian has no 仿宋 that covers simplified Chinese (cwTeX 仿宋 is traditional only), so Noto Serif CJK SC stands in.
A node that installs 仿宋_GB2312, 楷体_GB2312, 黑体 or 方正小标宋简体 gets them instead, with no change here.
"""

import shutil
import subprocess
from functools import lru_cache

from . import layout as L

# role → candidates (fontconfig family, CSS weight), best first.
CANDIDATES: dict[str, list[tuple[str, int]]] = {
    "fangsong": [
        (L.FONT_FANGSONG, 400),
        ("FangSong", 400),
        ("仿宋", 400),
        ("STFangsong", 400),
        ("Noto Serif CJK SC", 400),
    ],
    "kaiti": [
        (L.FONT_KAITI, 400),
        ("KaiTi", 400),
        ("楷体", 400),
        ("STKaiti", 400),
        ("AR PL UKai CN", 400),
        ("Noto Serif CJK SC", 400),
    ],
    "heiti": [(L.FONT_HEITI, 400), ("SimHei", 400), ("Noto Sans CJK SC", 700)],
    "song": [(L.FONT_SONG, 400), ("SimSun", 400), ("Noto Serif CJK SC", 400)],
    # 小标宋 has one heavy weight; Noto Serif's Bold is the closest free face.
    "title": [(L.FONT_TITLE, 400), ("方正小标宋_GBK", 400), ("FZXiaoBiaoSong-B05S", 400), ("Noto Serif CJK SC", 700)],
}

DEBIAN_PACKAGES = ["fontconfig", "fonts-noto-cjk", "fonts-arphic-ukai"]


class FontsMissing(RuntimeError):
    pass


@lru_cache(maxsize=1)
def installed_families() -> frozenset[str]:
    """Every family name fontconfig knows (a font may carry several, e.g. its Chinese and English names)."""
    if shutil.which("fc-list") is None:
        return frozenset()
    out = subprocess.run(["fc-list", "--format", "%{family}\n"], capture_output=True, text=True, timeout=30).stdout
    return frozenset(name.strip() for line in out.splitlines() for name in line.split(",") if name.strip())


def missing() -> list[str]:
    """Roles no installed font can play: empty when the PDF can be rendered with real glyphs."""
    have = installed_families()
    return [role for role, options in CANDIDATES.items() if not any(f in have for f, _ in options)]


def resolve() -> dict[str, tuple[str, int]]:
    """role → (family, weight) of the best installed font; raises FontsMissing naming what to install."""
    have = installed_families()
    lacking = missing()
    if lacking:
        raise FontsMissing(
            f"no font for {', '.join(lacking)}: install the Debian packages {' '.join(DEBIAN_PACKAGES)} "
            f"(python deploy/system_packages.py does) and fontconfig's fc-list"
        )
    return {role: next(c for c in options if c[0] in have) for role, options in CANDIDATES.items()}
