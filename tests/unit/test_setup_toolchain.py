"""What `make setup` installs to build FerretDB on a fresh machine: `patch` and, without Go >= 1.24, Go's toolchain.

Checked without a network or a package manager: the Makefile's bin/ferretdb recipe, deploy/system_packages.py
--build (apt-get replaced), the pins in deploy/ferretdb/go.sh, and go.sh --check against stand-in `go` commands.
"""

import importlib.util
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = ROOT / "Makefile"
GO_SH = ROOT / "deploy" / "ferretdb" / "go.sh"
BUILD_SH = ROOT / "deploy" / "ferretdb" / "build.sh"
GO_MOD = ROOT / "deploy" / "ferretdb" / "go.mod"


def system_packages():
    spec = importlib.util.spec_from_file_location("system_packages", ROOT / "deploy" / "system_packages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rule(target: str) -> tuple[str, list[str]]:
    """A Makefile rule's prerequisites (continued lines joined) and recipe lines (without their leading tab)."""
    lines = MAKEFILE.read_text(encoding="utf-8").splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    prerequisites = [lines[i].removeprefix(f"{target}:")]
    while lines[i].endswith("\\"):
        i += 1
        prerequisites.append(lines[i])
    body = []
    for line in lines[i + 1 :]:
        if not line.startswith("\t"):
            break
        body.append(line[1:])
    return " ".join(p.rstrip("\\").strip() for p in prerequisites), body


def version(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("."))


def go_sh_pins() -> tuple[str, dict[str, str]]:
    text = GO_SH.read_text(encoding="utf-8")
    m = re.search(r"^GO_VERSION=(\S+)$", text, re.M)
    assert m, "go.sh pins no GO_VERSION"
    table = re.search(r"^declare -A GO_SHA256=\((.*?)^\)", text, re.M | re.S)
    assert table, "go.sh has no GO_SHA256 table"
    return m[1], dict(re.findall(r"\[(\w+)\]=(\S+)", table[1]))


def test_the_ferretdb_recipe_installs_patch_then_builds():
    prerequisites, lines = rule("$(FERRETDB)")
    assert "deploy/ferretdb/go.sh" in prerequisites.split()  # another Go may build it differently
    packages = next(i for i, line in enumerate(lines) if "deploy/system_packages.py --build" in line)
    build = next(i for i, line in enumerate(lines) if "deploy/ferretdb/build.sh $(FERRETDB)" in line)
    assert packages < build
    # system_packages.py runs before the virtual environment exists: with the interpreter the Makefile found
    assert "$(PY)" not in lines[packages] and "$(PYTHON)" in lines[packages]
    assert not any("run make again" in line for line in lines), "the recipe still stops for a missing tool"


def test_build_packages_install_patch_with_apt_get(monkeypatch):
    sp = system_packages()
    assert sp.BUILD_PACKAGES == {"patch": "patch"}
    assert "--build" in (sp.__doc__ or "")
    ran: list[list[str]] = []
    monkeypatch.setattr(sp.shutil, "which", lambda name: "/usr/bin/apt-get" if name == "apt-get" else None)
    monkeypatch.setattr(sp.subprocess, "run", lambda args, **kw: ran.append(args))
    monkeypatch.setattr(sp.os, "geteuid", lambda: 0)
    assert sp.main(["--build", "--check"]) == 1
    assert ran == []
    assert sp.main(["--build"]) == 0
    assert ran[-1][:2] == ["apt-get", "install"] and ran[-1][-1] == "patch"
    assert not any(p in ran[-1] for p in sp.PACKAGES), "--build installs only what the build needs"


def test_go_sh_pins_a_toolchain_new_enough_for_every_arch_it_maps():
    go_version, pins = go_sh_pins()
    need = re.search(r"^go (\S+)$", GO_MOD.read_text(encoding="utf-8"), re.M)
    assert need
    assert version(go_version) >= version(need[1])
    assert set(pins) == {"amd64", "arm64"}
    assert all(re.fullmatch(r"[0-9a-f]{64}", sha) for sha in pins.values())
    assert len(set(pins.values())) == len(pins)
    text = GO_SH.read_text(encoding="utf-8")
    assert "golang.org/toolchain/@v/v0.0.1-go$GO_VERSION.linux-$arch.zip" in text
    assert re.findall(r"\) arch=(\w+) ;;", text) == ["amd64", "arm64"]
    # the docs name the directory the toolchain is unpacked into
    for doc in (ROOT / "README.md", ROOT / "deploy" / "ferretdb" / "README.md"):
        assert f"bin/go{go_version}" in doc.read_text(encoding="utf-8"), doc
    assert '"$here/go.sh"' in BUILD_SH.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("says", "enough"),
    [
        ("go version go1.23.4 linux/amd64", False),
        ("go version go1.9 linux/amd64", False),  # 1.9 < 1.24: compared as versions, not strings
        ("go version go1.24.0 linux/amd64", True),
        ("go version go1.26.8 linux/amd64", True),
        ("go version devel go1.27-abcdef Tue Jan 1 00:00:00 2030 +0000 linux/amd64", True),
        (None, False),  # `go` that does not run: as if there were none
    ],
)
def test_go_sh_check_accepts_go_from_go_mod_version_on(tmp_path, says, enough):
    fake = tmp_path / "go"
    fake.write_text("#!/bin/sh\n" + (f'echo "{says}"\n' if says else "exit 127\n"))
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(["bash", str(GO_SH), "--check"], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == (0 if enough else 1), result.stderr
