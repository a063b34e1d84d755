#!/usr/bin/env bash
# The Go that build.sh builds with: `go` on PATH when it is at least go.mod's version (1.24), otherwise
# Go's official toolchain, fetched once from the Go module proxy into the git-ignored bin/ of the repository.
#
#   deploy/ferretdb/go.sh          prints nothing when PATH's go will do; otherwise makes sure
#                                  bin/go$GO_VERSION is there (downloading it the first time) and prints its GOROOT
#   deploy/ferretdb/go.sh --check  exit 0 when PATH's go will do, 1 when the toolchain in bin/ would be used
#
# The toolchain is the module golang.org/toolchain@v0.0.1-go$GO_VERSION.linux-ARCH, as `go` itself fetches it
# for GOTOOLCHAIN (from the first proxy in GOPROXY, https://proxy.golang.org by default); the zip is checked
# against the sha256 pinned below (the zips `go mod download` verified against sum.golang.org), unpacked with
# Python's zipfile (PYTHON, else python3) and its commands made executable. Messages go to stderr.
set -euo pipefail

GO_VERSION=1.26.8
declare -A GO_SHA256=(
	[amd64]=30c2b1bf7dcc88d3eb0a1364e47ddd9128edb3110a30e8a0ef61cd5856b31de7
	[arm64]=02b36b6787b3ac767668f630e2998df45a3b1f9ffee08d1bf3ef6487cd658d99
)

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
need=$(awk '$1 == "go" { print $2; exit }' "$here/go.mod")

# the version of `go` on PATH (1.22.4, 1.27 for a devel build), empty when there is none; GOTOOLCHAIN=local
# so that a go >= 1.21 reports itself instead of switching to another toolchain
have=$(cd / && GOTOOLCHAIN=local go version 2>/dev/null | grep -o 'go[0-9][0-9.]*' | head -1 | sed 's/^go//') || true
if [[ -n "$have" && "$(printf '%s\n' "$need" "$have" | sort -V | head -1)" == "$need" ]]; then
	exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
	exit 1
fi

goroot="$root/bin/go$GO_VERSION"
if [[ ! -x "$goroot/bin/go" ]]; then
	case "$(uname -s)/$(uname -m)" in
	Linux/x86_64) arch=amd64 ;;
	Linux/aarch64 | Linux/arm64) arch=arm64 ;;
	*) arch= ;;
	esac
	sha=${arch:+${GO_SHA256[$arch]:-}}
	if [[ -z "$sha" ]]; then
		echo "go.sh: no Go toolchain is pinned for $(uname -s) $(uname -m): install Go >= $need and run again" >&2
		exit 1
	fi
	proxy=https://proxy.golang.org
	first=${GOPROXY:-}
	first=${first%%[,|]*}
	[[ "$first" == http://* || "$first" == https://* ]] && proxy=${first%/}
	url="$proxy/golang.org/toolchain/@v/v0.0.1-go$GO_VERSION.linux-$arch.zip"
	why="no go on PATH"
	[[ -n "$have" ]] && why="go$have on PATH is older than $need"
	echo "go.sh: $why: fetching Go $GO_VERSION (~70 MB) from $url into bin/go$GO_VERSION" >&2
	"${PYTHON:-python3}" - "$url" "$sha" "$goroot" <<-'EOF'
		import hashlib, os, shutil, sys, urllib.request, zipfile

		url, sha, goroot = sys.argv[1:]
		tmp = goroot + ".part"
		shutil.rmtree(tmp, ignore_errors=True)
		os.makedirs(tmp)
		archive = os.path.join(tmp, "toolchain.zip")
		digest = hashlib.sha256()
		with urllib.request.urlopen(url, timeout=60) as response, open(archive, "wb") as f:
		    while chunk := response.read(1 << 20):
		        digest.update(chunk)
		        f.write(chunk)
		if digest.hexdigest() != sha:
		    shutil.rmtree(tmp)
		    sys.exit(f"go.sh: {url} has sha256 {digest.hexdigest()}, not the pinned {sha}")
		with zipfile.ZipFile(archive) as z:
		    tops = {"/".join(name.split("/")[:2]) for name in z.namelist()}
		    if len(tops) != 1:
		        sys.exit(f"go.sh: {url} has more than one top directory: {sorted(tops)}")
		    z.extractall(tmp)
		os.remove(archive)
		top = os.path.join(tmp, tops.pop())
		# zipfile drops the modes the zip records: the commands become executable again
		for sub in ("bin", os.path.join("pkg", "tool")):
		    for dirpath, _, files in os.walk(os.path.join(top, sub)):
		        for name in files:
		            os.chmod(os.path.join(dirpath, name), 0o755)
		os.rename(top, goroot)
		shutil.rmtree(tmp)
	EOF
fi
if ! GOROOT="$goroot" GOTOOLCHAIN=local "$goroot/bin/go" version >/dev/null; then
	echo "go.sh: $goroot/bin/go does not run; remove $goroot and run again" >&2
	exit 1
fi
echo "$goroot"
