#!/bin/bash
# Quick start for a fresh Debian 12 machine, as root:
#   1. installs the build dependencies listed in contrib/deps.txt
#   2. builds ocirun in build/
#   3. makes a bundle with a busybox rootfs under a temporary directory,
#      writes its config.json with `ocirun spec`, prints `ocirun features`
#   4. runs the demo container with `ocirun run`: it says hello and prints
#      its hostname; the script fails when the container does not run
# DEMO_SKIP_APT=1 skips step 1.  Everything in step 3-4 is removed at exit.
set -euo pipefail

cd "$(dirname "$0")/.."
SRC=$PWD
BUILD=$SRC/build

say() { printf '\n==> %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
    echo "demo.sh: run me as root (containers need it, and so does apt-get)" >&2
    exit 1
fi

if [ "${DEMO_SKIP_APT:-0}" != 1 ]; then
    say "installing build dependencies (contrib/deps.txt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2046
    apt-get install -y -q --no-install-recommends $(grep -v '^[[:space:]]*#' contrib/deps.txt)
fi

say "building ocirun in $BUILD"
[ -x configure ] || ./autogen.sh
mkdir -p "$BUILD"
cd "$BUILD"
[ -f Makefile ] || ../configure --disable-werror -q
make -j"$(nproc)"
OCIRUN=$BUILD/ocirun
"$OCIRUN" --version

WORK=$(mktemp -d /tmp/ocirun-demo.XXXXXX)
STATE=$WORK/state
cleanup() {
    "$OCIRUN" --root "$STATE" delete --force demo >/dev/null 2>&1 || true
    rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

say "making a busybox bundle in $WORK/bundle"
BUNDLE=$WORK/bundle
ROOTFS=$BUNDLE/rootfs
mkdir -p "$ROOTFS"/{bin,proc,sys,dev,tmp,etc,root}
chmod 1777 "$ROOTFS/tmp"
cp /bin/busybox "$ROOTFS/bin/busybox"
for applet in $("$ROOTFS/bin/busybox" --list); do
    [ -e "$ROOTFS/bin/$applet" ] || ln -s busybox "$ROOTFS/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$ROOTFS/etc/passwd"
echo 'root:x:0:' >"$ROOTFS/etc/group"

say "ocirun spec (writes $BUNDLE/config.json)"
(cd "$BUNDLE" && "$OCIRUN" spec)
# a non-interactive demo process: no terminal, say hello and show the
# container's own hostname
python3 - "$BUNDLE/config.json" <<'EOF'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
config["process"]["terminal"] = False
config["process"]["args"] = [
    "/bin/sh", "-c",
    'echo "hello from ocirun"; echo "container hostname: $(hostname)"; '
    'echo "container pid: $$"',
]
config["hostname"] = "ocirun-demo"
json.dump(config, open(path, "w"), indent=2)
EOF
head -c 400 "$BUNDLE/config.json"
echo "..."

say "ocirun features"
"$OCIRUN" features

say "ocirun run --bundle $BUNDLE demo"
set +e
"$OCIRUN" --root "$STATE" run --bundle "$BUNDLE" demo </dev/null >"$WORK/run.out" 2>"$WORK/run.err"
rc=$?
set -e
if [ $rc -eq 0 ] && grep -q "hello from ocirun" "$WORK/run.out"; then
    cat "$WORK/run.out"
    say "demo complete: ocirun ran a container"
else
    echo "ocirun run failed (exit $rc):" >&2
    sed 's/^/  /' "$WORK/run.out" "$WORK/run.err" >&2
    exit 1
fi
