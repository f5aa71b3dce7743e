#!/usr/bin/env bash
# Install the Debian (bookworm) packages omote needs, only those missing.
#
#   bash scripts/deps.sh build   # compile + run the demo
#   bash scripts/deps.sh test    # build + everything the tests use (CI)
#   bash scripts/deps.sh bench   # build + the peers and load tools of bench/run
#   bash scripts/deps.sh fuzz    # build + clang and its sanitizer runtime for libFuzzer
#
# apt-get update/install run only when at least one package is not installed.
# Works as root; otherwise uses sudo.
set -euo pipefail

BUILD_PKGS=(
    cmake gcc make pkg-config
    libh2o-evloop-dev libh2o-dev libjansson-dev libhiredis-dev libssl-dev libpsl-dev zlib1g-dev
    python3 redis-server curl openssl
    webext-ublock-origin-chromium  # ships EasyPrivacy (without --install-recommends, no browser)
)
TEST_PKGS=(
    "${BUILD_PKGS[@]}"
    nghttp2-client python3-h2 procps
    chromium                       # tests/browser drives it (playwright-core, headless)
    clang libclang-rt-14-dev       # tests/fuzz/run-libfuzzer
)
BENCH_PKGS=(
    "${BUILD_PKGS[@]}"
    nghttp2-client wrk nginx-light h2o gnuplot-nox procps
)
NODE_PKGS=(
    nodejs npm
)
FUZZ_PKGS=(
    "${BUILD_PKGS[@]}"
    clang libclang-rt-14-dev
)

usage() {
    echo "usage: bash scripts/deps.sh build|test|bench|fuzz|node" >&2
    exit 2
}

[ $# -eq 1 ] || usage
case "$1" in
    build) PKGS=("${BUILD_PKGS[@]}") ;;
    test) PKGS=("${TEST_PKGS[@]}") ;;
    bench) PKGS=("${BENCH_PKGS[@]}") ;;
    fuzz) PKGS=("${FUZZ_PKGS[@]}") ;;
    node) PKGS=("${NODE_PKGS[@]}") ;;
    -h|--help) usage ;;
    *) echo "deps.sh: unknown group '$1'" >&2; usage ;;
esac

installed() {
    # dpkg -s also succeeds for removed-but-not-purged packages: check Status.
    dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

missing=()
for p in "${PKGS[@]}"; do
    installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "deps.sh: all ${#PKGS[@]} '$1' packages are installed"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "deps.sh: not root and sudo is not available; install as root: ${missing[*]}" >&2
    exit 1
fi

echo "deps.sh: installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"

still=()
for p in "${missing[@]}"; do
    installed "$p" || still+=("$p")
done
if [ ${#still[@]} -ne 0 ]; then
    echo "deps.sh: still missing after install: ${still[*]}" >&2
    exit 1
fi
echo "deps.sh: done"
