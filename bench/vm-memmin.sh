#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The smallest memory.max under which `run` of /bin/true still succeeds, for
# ocirun, crun and runc (cgroupfs driver), found by bisection (issue #11).
# Meant for the pure cgroup v2 VM (tests/vm/run, minimal flavour):
#
#   make bench-vm [BENCH_VM_ARGS="-g 4 -r 3"]
#   tests/vm/run --share BUILD --share SRC -- env OCIRUN=BUILD/ocirun bash bench/vm-memmin.sh
#
# -g KIB: the bisection's resolution (default 4, one page); -r N: each
# limit is tried N times and counts as enough only if all N succeed
# (default 3: an OOM kill near the edge depends on timing). The config is
# `runc spec` with args ["/bin/true"], terminal false, and
# linux.resources.memory.limit = the limit tried (no swap in the VM).
set -euo pipefail

GRAIN=4 REPS=3
while getopts "g:r:h" opt; do
    case $opt in
    g) GRAIN=$OPTARG ;;
    r) REPS=$OPTARG ;;
    *) sed -n '4,14p' "$0"; exit 2 ;;
    esac
done

if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
    echo "bench/vm-memmin.sh: needs a pure cgroup v2 host (the VM: make bench-vm)" >&2
    exit 2
fi
OCIRUN=${OCIRUN:-ocirun}
names=() bins=()
for nb in "ocirun=$OCIRUN" "crun=$(command -v crun || true)" "runc=$(command -v runc || true)"; do
    if [ -x "${nb#*=}" ]; then names+=("${nb%%=*}"); bins+=("${nb#*=}"); fi
done

work=$(mktemp -d /tmp/ocirun-memmin.XXXXXX)
trap 'rm -rf "$work"' EXIT
B="$work/bundle"
mkdir -p "$B/rootfs/bin" "$B/rootfs/proc" "$B/rootfs/sys" "$B/rootfs/dev" "$B/rootfs/tmp"
cp /bin/busybox "$B/rootfs/bin/busybox"
ln -s busybox "$B/rootfs/bin/true"
(cd "$B" && runc spec)
python3 - "$B/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["linux"]["resources"] = {"memory": {"limit": 0}}
json.dump(c, open(sys.argv[1] + ".in", "w"), indent=2)
EOF

seq_id=0
works() { # index limit_kib -> 0 when REPS runs in a row succeed
    local k=$1 lim=$(($2 * 1024)) n=${names[$1]}
    python3 - "$B/config.json.in" "$B/config.json" "$lim" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"]["resources"]["memory"]["limit"] = int(sys.argv[3])
json.dump(c, open(sys.argv[2], "w"), indent=2)
EOF
    for ((r = 0; r < REPS; r++)); do
        seq_id=$((seq_id + 1))
        if ! timeout 60 "${bins[$k]}" --root "$work/root-$n" run --bundle "$B" "m$seq_id" \
            </dev/null >/dev/null 2>&1; then
            "${bins[$k]}" --root "$work/root-$n" delete -f "m$seq_id" >/dev/null 2>&1 || true
            return 1
        fi
    done
    return 0
}

declare -A result
for k in "${!names[@]}"; do
    n=${names[$k]}
    mkdir -p "$work/root-$n"
    hi=65536 # KiB: must work
    if ! works "$k" "$hi"; then
        echo "note: $n cannot run /bin/true under memory.max = $hi KiB" >&2
        result[$n]=n/a
        continue
    fi
    lo=0 # known to fail (or below any page)
    while ((hi - lo > GRAIN)); do
        mid=$(((lo + hi) / 2 / GRAIN * GRAIN))
        ((mid > lo)) || mid=$((lo + GRAIN))
        if works "$k" "$mid"; then hi=$mid; else lo=$mid; fi
        echo "bench: $n: between $lo and $hi KiB" >&2
    done
    result[$n]=$hi
done

echo "Machine: $(nproc) CPUs, kernel $(uname -r) (the cgroup v2 VM), memory $(awk '/MemTotal/ { print $2 }' /proc/meminfo) KiB"
for k in "${!names[@]}"; do echo "${names[$k]}: ${bins[$k]} — $("${bins[$k]}" --version 2>/dev/null | head -1)"; done
echo "Resolution $GRAIN KiB; a limit counts when $REPS runs in a row succeed."
echo
hdr="| metric |"
for n in "${names[@]}"; do hdr+=" $n |"; done
echo "$hdr ocirun/crun |"
printf '|---|'
for _ in "${names[@]}"; do printf -- '---|'; done
echo '---|'
line="| smallest memory.max for run /bin/true (KiB) |"
for n in "${names[@]}"; do line+=" ${result[$n]} |"; done
r=n/a
if [[ "${result[ocirun]:-n/a}" =~ ^[0-9]+$ && "${result[crun]:-n/a}" =~ ^[0-9]+$ ]]; then
    r=$(awk -v a="${result[ocirun]}" -v b="${result[crun]}" 'BEGIN { printf("%.2f", a / b) }')
fi
echo "$line $r |"
