#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ocirun vs crun vs runc on identical bundles (issues #3, #4 and #11).
#
#   bench/run.sh [-n RUNS] [-s STRACE_RUNS] [-l LIST_CONTAINERS] [-r LIST_REPS]
#                [-k ROW_LENGTH] [-L ROW_REPS] [-t THROUGHPUT_SECONDS] [-o FILE.md]
#   make bench                      (runs this with the ocirun just built)
#
# Environment: OCIRUN, CRUN, RUNC (binaries; default: ./ocirun next to the
# build, crun and runc from PATH), OCIRUN_STATIC (optional: a statically
# linked ocirun, benched as a fourth runtime "ocirun-static"; `make bench`
# links one when ocirun itself is dynamic), OCIRUN_DYNAMIC (optional: the
# dynamically linked build, "ocirun-dynamic"; `make bench` passes the
# companion ocirun-systemd when ocirun is static), OCIRUN_LIBSYSTEMD (optional: ocirun linked with libsystemd
# instead of dlopen()ing it, "ocirun-libsystemd": what a run that does not
# use the systemd driver would pay for the library; `make bench` links
# one), CC (to build bench/timeit.c and bench/floor.c).
#
# Everything runs inside one `unshare -m` with cgroup2 mounted on
# /sys/fs/cgroup (crun refuses this hybrid host otherwise) and the bundle
# and state roots on a private tmpfs. The rootfs is busybox-static, the
# config is `runc spec` with args ["/bin/true"], terminal false and no
# linux.resources; for exec, one container per runtime runs a long sleep
# from the same rootfs (`run -d`), /bin/true is exec'd into it, and it is
# removed with `delete -f`. Runtimes alternate call by call, in a rotating
# order, each with its own --root. A small C wrapper (timeit) measures each call:
# wall time around fork/wait4, and wait4's peak RSS and minor faults, so
# the harness's own cost is the same for all three and stays out.
# Root only; not part of `make check` (timings are not tests).
set -euo pipefail

RUNS=100 STRACE_RUNS=10 LIST_N=200 LIST_REPS=20 OUT="" ROW_LEN=100 ROW_REPS=3 TPUT_S=10
while getopts "n:s:l:r:k:L:t:o:h" opt; do
    case $opt in
    n) RUNS=$OPTARG ;;
    s) STRACE_RUNS=$OPTARG ;;
    l) LIST_N=$OPTARG ;;
    r) LIST_REPS=$OPTARG ;;
    k) ROW_LEN=$OPTARG ;;
    L) ROW_REPS=$OPTARG ;;
    t) TPUT_S=$OPTARG ;;
    o) OUT=$OPTARG ;;
    *) sed -n '4,16p' "$0"; exit 2 ;;
    esac
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ "$(id -u)" != 0 ]; then
    echo "bench/run.sh: needs root (namespaces, cgroups)" >&2
    exit 2
fi
if [ -z "${OCIRUN_BENCH_NS:-}" ]; then
    # a private mount namespace: the cgroup2 and tmpfs mounts vanish with it
    exec unshare -m --propagation private env OCIRUN_BENCH_NS=1 bash "$0" "$@"
fi

OCIRUN=${OCIRUN:-$(command -v ocirun || echo "$here/../ocirun")}
CRUN=${CRUN:-$(command -v crun || true)}
RUNC=${RUNC:-$(command -v runc || true)}
for tool in unshare strace python3 "${CC:-cc}"; do
    command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is missing" >&2; exit 2; }
done

mount -t cgroup2 none /sys/fs/cgroup
work=$(mktemp -d /tmp/ocirun-bench.XXXXXX)
mount -t tmpfs -o mode=0755 tmpfs "$work"
"${CC:-cc}" -O2 -o "$work/timeit" "$here/timeit.c"
"${CC:-cc}" -O2 -o "$work/floor" "$here/floor.c"
T="$work/timeit"
FLOOR="$work/floor"

names=() bins=()
add_runtime() { # name binary
    if [ -n "$2" ] && [ -x "$2" ]; then names+=("$1"); bins+=("$2"); fi
}
add_runtime ocirun "$OCIRUN"
add_runtime ocirun-static "${OCIRUN_STATIC:-}"
add_runtime ocirun-dynamic "${OCIRUN_DYNAMIC:-}"
add_runtime ocirun-libsystemd "${OCIRUN_LIBSYSTEMD:-}"
add_runtime crun "$CRUN"
add_runtime runc "$RUNC"

cleanup() {
    for k in "${!names[@]}"; do
        local root="$work/root-${names[$k]}"
        [ -d "$root" ] || continue
        for dir in "$root"/*/; do
            [ -d "$dir" ] || continue
            "${bins[$k]}" --root "$root" delete -f "$(basename "$dir")" >/dev/null 2>&1 || true
        done
    done
    umount -l "$work" 2>/dev/null || true
    rmdir "$work" 2>/dev/null || true
}
trap cleanup EXIT

# ---- the bundles -------------------------------------------------------------
B="$work/bundle"
mkdir -p "$B/rootfs/bin" "$B/rootfs/proc" "$B/rootfs/sys" "$B/rootfs/dev" "$B/rootfs/tmp"
cp /bin/busybox "$B/rootfs/bin/busybox"
ln -s busybox "$B/rootfs/bin/true"
ln -s busybox "$B/rootfs/bin/sh"
(cd "$B" && "${RUNC:-runc}" spec)
python3 - "$B/config.json" <<'EOF'
import json, sys
path = sys.argv[1]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["linux"].pop("resources", None)
json.dump(c, open(path, "w"), indent=2)
EOF
# A second bundle for exec: the same rootfs, a long sleep as the workload.
SB="$work/bundle-sleep"
mkdir -p "$SB"
ln -s busybox "$B/rootfs/bin/sleep"
python3 - "$B/config.json" "$SB/config.json" "$B/rootfs" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["/bin/sleep", "1000000"]
c["root"]["path"] = sys.argv[3]
json.dump(c, open(sys.argv[2], "w"), indent=2)
EOF

# A third bundle for run+seccomp: the same, plus the podman/Docker default
# profile in OCI form (tests/fixtures/seccomp-default.json, ~440 syscall
# names; see tests/fixtures/tools/gen-seccomp-default.py).
PB="$work/bundle-seccomp"
mkdir -p "$PB"
python3 - "$B/config.json" "$PB/config.json" "$B/rootfs" "$here/../tests/fixtures/seccomp-default.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["root"]["path"] = sys.argv[3]
c["linux"]["seccomp"] = json.load(open(sys.argv[4]))
json.dump(c, open(sys.argv[2], "w"), indent=2)
EOF

# A runtime that cannot run the bundle is shown as n/a rather than stopping
# the comparison (ocirun while its lifecycle is being written).
usable=()
for k in "${!names[@]}"; do
    mkdir -p "$work/root-${names[$k]}"
    if "${bins[$k]}" --root "$work/root-${names[$k]}" run --bundle "$B" smoke \
        >"$work/smoke.${names[$k]}" 2>&1; then
        usable+=("$k")
    else
        echo "note: ${names[$k]} cannot run the bundle: $(tail -1 "$work/smoke.${names[$k]}")" >&2
        "${bins[$k]}" --root "$work/root-${names[$k]}" delete -f smoke >/dev/null 2>&1 || true
    fi
done

# Rotates the runtime order each round so none always goes first.
order() { # round -> indexes of the usable runtimes
    local n=${#usable[@]} r=$1
    for ((j = 0; j < n; j++)); do echo "${usable[$(((j + r) % n))]}"; done
}

rt() { # index root-args... : the runtime with its --root
    local k=$1
    shift
    "${bins[$k]}" --root "$work/root-${names[$k]}" "$@"
}

wait_stopped() { # index id
    for _ in $(seq 200); do
        rt "$1" state "$2" 2>/dev/null | grep -Eq '"status": ?"stopped"' && return 0
        sleep 0.01
    done
    return 1
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: $RUNS runs, $STRACE_RUNS strace runs, list of $LIST_N x $LIST_REPS" >&2
# ---- run, create/start/delete ----------------------------------------------
for ((i = 0; i < RUNS; i++)); do
    for k in $(order "$i"); do
        n=${names[$k]}
        "$T" -o "$work/run.$n" -- "${bins[$k]}" --root "$work/root-$n" run --bundle "$B" "r$i" || true
    done
    # the floor, in the same rounds (so under the same load)
    "$T" -o "$work/run.floor" -- "$FLOOR" "$B/rootfs" || true
    for k in $(order "$((i + 1))"); do
        n=${names[$k]}
        "$T" -o "$work/create.$n" -- "${bins[$k]}" --root "$work/root-$n" create --bundle "$B" "c$i" || true
        "$T" -o "$work/start.$n" -- "${bins[$k]}" --root "$work/root-$n" start "c$i" || true
        wait_stopped "$k" "c$i" || echo "note: $n c$i did not stop" >&2
        "$T" -o "$work/delete.$n" -- "${bins[$k]}" --root "$work/root-$n" delete "c$i" || true
    done
done

# ---- run with the default seccomp profile ----------------------------------
# "run+seccomp" as a caller sees it (ocirun: the compiled BPF comes from its
# cache under --root after the first call); "run+seccomp, no BPF cache":
# ocirun with its cache directory removed (untimed) before every call, i.e.
# a full libseccomp compile each time.
for ((i = 0; i < RUNS; i++)); do
    for k in $(order "$i"); do
        n=${names[$k]}
        "$T" -o "$work/seccomp.$n" -- "${bins[$k]}" --root "$work/root-$n" run --bundle "$PB" "p$i" || true
        if [ "$n" = ocirun ]; then
            rm -rf "$work/root-$n/.seccomp-cache@v1"
            "$T" -o "$work/seccompnc.$n" -- "${bins[$k]}" --root "$work/root-$n" run --bundle "$PB" "q$i" || true
        fi
    done
done

# ---- exec of /bin/true into a running container -----------------------------
# One long-running container per runtime, each with its own id (so its own
# default cgroup, /exec-NAME); a runtime whose `run -d` fails gets no exec
# figures (n/a) instead of stopping the bench.
exec_ok=()
for k in "${usable[@]}"; do
    if rt "$k" run -d --bundle "$SB" "exec-${names[$k]}" </dev/null >/dev/null \
        2>"$work/xsmoke.${names[$k]}"; then
        exec_ok+=("$k")
    else
        echo "note: ${names[$k]} cannot run -d the sleep bundle: $(tail -1 "$work/xsmoke.${names[$k]}")" >&2
        rt "$k" delete -f "exec-${names[$k]}" >/dev/null 2>&1 || true
    fi
done
for ((i = 0; i < RUNS; i++)); do
    for k in $(order "$i"); do
        [[ " ${exec_ok[*]} " == *" $k "* ]] || continue
        n=${names[$k]}
        "$T" -o "$work/exec.$n" -- "${bins[$k]}" --root "$work/root-$n" exec "exec-$n" /bin/true || true
    done
done
# `state` of that running container
for ((i = 0; i < RUNS; i++)); do
    for k in $(order "$i"); do
        [[ " ${exec_ok[*]} " == *" $k "* ]] || continue
        n=${names[$k]}
        "$T" -o "$work/state.$n" -- "${bins[$k]}" --root "$work/root-$n" state "exec-$n" || true
    done
done
for ((i = 0; i < STRACE_RUNS; i++)); do
    for k in $(order "$i"); do
        [[ " ${exec_ok[*]} " == *" $k "* ]] || continue
        n=${names[$k]}
        strace -f -c -o "$work/strace.tmp" -- "${bins[$k]}" --root "$work/root-$n" exec "exec-$n" /bin/true \
            >/dev/null 2>&1 || true
        awk '$NF == "total" { print $4 }' "$work/strace.tmp" >>"$work/xsyscalls.$n"
    done
done
for k in "${exec_ok[@]}"; do
    rt "$k" delete -f "exec-${names[$k]}" >/dev/null 2>&1 ||
        echo "note: ${names[$k]} delete -f exec-${names[$k]} failed" >&2
done

# ---- ROW_LEN runs in a row -------------------------------------------------------
# One timed call runs the loop (a small bash loop, the same for every
# runtime); a failed run ends the loop and marks the call failed.
row_loop='for ((j = 0; j < $4; j++)); do "$0" --root "$1" run --bundle "$2" "$3$j" >/dev/null 2>&1 || exit 1; done'
for ((i = 0; i < ROW_REPS; i++)); do
    for k in $(order "$i"); do
        n=${names[$k]}
        "$T" -o "$work/row.$n" -- bash -c "$row_loop" "${bins[$k]}" "$work/root-$n" "$B" "w${i}_" \
            "$ROW_LEN" || true
    done
done

# ---- throughput: 2 parallel loops for TPUT_S seconds ---------------------------
# Each loop runs containers back to back until the deadline; the figure is
# the runs that succeeded per second, both loops together. One window per
# runtime, one runtime at a time.
tput_loop='end=$(($(date +%s%N) + $4 * 1000000000)); c=0
while [ "$(date +%s%N)" -lt "$end" ]; do
    "$0" --root "$1" run --bundle "$2" "$3$c" >/dev/null 2>&1 && echo ok
    c=$((c + 1))
done'
for k in $(order 0); do
    n=${names[$k]}
    for l in 0 1; do
        bash -c "$tput_loop" "${bins[$k]}" "$work/root-$n" "$B" "t${l}_" "$TPUT_S" >"$work/tput.$n.$l" &
    done
    wait
    ok=$(cat "$work/tput.$n.0" "$work/tput.$n.1" | grep -c ok || true)
    awk -v c="$ok" -v s="$TPUT_S" 'BEGIN { printf("%.2f\n", c / s) }' >"$work/tput.$n"
done

# ---- syscalls per run --------------------------------------------------------
for ((i = 0; i < STRACE_RUNS; i++)); do
    for k in $(order "$i"); do
        n=${names[$k]}
        strace -f -c -o "$work/strace.tmp" -- "${bins[$k]}" --root "$work/root-$n" run \
            --bundle "$B" "s$i" >/dev/null 2>&1 || true
        awk '$NF == "total" { print $4 }' "$work/strace.tmp" >>"$work/syscalls.$n"
    done
done

# ---- list with LIST_N created containers ----------------------------------
# Ids differ per runtime (l<index>_<n>): the runtimes share one cgroup2
# tree, and these containers live at the same time.
for k in "${usable[@]}"; do
    for ((i = 0; i < LIST_N; i++)); do
        rt "$k" create --bundle "$B" "l${k}_$i" >/dev/null 2>"$work/lcreate.err" ||
            echo "note: ${names[$k]} create l${k}_$i: $(tail -1 "$work/lcreate.err")" >&2
    done
done
for ((i = 0; i < LIST_REPS; i++)); do
    for k in $(order "$i"); do
        n=${names[$k]}
        "$T" -o "$work/list.$n" -- "${bins[$k]}" --root "$work/root-$n" list || true
    done
done
# delete -f of all of them (their inits are alive, waiting for start): one
# timed loop per runtime
delf_loop='for ((j = 0; j < $2; j++)); do "$0" --root "$1" delete -f "$3$j" >/dev/null 2>&1 || exit 1; done'
for k in $(order 0); do
    n=${names[$k]}
    listed=$(rt "$k" list -q 2>/dev/null | grep -c '^l' || true)
    [ "$listed" = "$LIST_N" ] || echo "note: $n lists $listed of $LIST_N" >&2
    "$T" -o "$work/delf.$n" -- bash -c "$delf_loop" "${bins[$k]}" "$work/root-$n" "$LIST_N" "l${k}_" ||
        true
    for ((i = 0; i < LIST_N; i++)); do # whatever a failed loop left
        rt "$k" delete -f "l${k}_$i" >/dev/null 2>&1 || true
    done
done

# ---- the table -----------------------------------------------------------------
# stats FILE COLUMN SCALE DECIMALS -> "median min max" of the successful calls
stats() {
    [ -s "$1" ] || return 0
    awk -v c="$2" 'NF < 4 || $4 == 0 { print $c }' "$1" | sort -g |
        awk -v s="$3" -v d="$4" '{ a[NR] = $1 / s }
            END { if (NR == 0) exit
                  m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
                  f = "%." d "f"; printf(f " " f " " f "\n", m, a[1], a[NR]) }'
}
failures() { [ -s "$1" ] && awk 'NF >= 4 && $4 != 0' "$1" | wc -l || echo 0; }

cell() { # "median min max" -> "median (min-max)"
    local med lo hi
    if [ -z "$1" ]; then
        echo "n/a"
        return
    fi
    read -r med lo hi <<<"$1"
    echo "$med ($lo-$hi)"
}

ratio() { # medians a b
    [ -n "$1" ] && [ -n "$2" ] && awk -v a="${1%% *}" -v b="${2%% *}" \
        'BEGIN { if (b > 0) printf("%.2f", a / b); else print "n/a" }' || echo "n/a"
}

# The columns: every runtime that ran, then ocirun/crun (and the same
# ratio for each other ocirun build that ran too).
cols=()
for n in ocirun ocirun-static ocirun-dynamic ocirun-libsystemd crun runc; do
    [[ " ${names[*]} " == *" $n "* ]] && cols+=("$n")
done
ratio_cols=(ocirun)
[[ " ${cols[*]} " == *" ocirun-static "* ]] && ratio_cols+=(ocirun-static)
[[ " ${cols[*]} " == *" ocirun-dynamic "* ]] && ratio_cols+=(ocirun-dynamic)
[[ " ${cols[*]} " == *" ocirun-libsystemd "* ]] && ratio_cols+=(ocirun-libsystemd)

line() { # cells... -> one markdown table line
    local l="|" c
    for c in "$@"; do l+=" $c |"; done
    echo "$l"
}

row() { # label file column scale decimals
    local label=$1 out=() s
    declare -A med
    for n in "${cols[@]}"; do
        s=$(stats "$work/$2.$n" "$3" "$4" "$5")
        med[$n]=$s
        out+=("$(cell "$s")")
    done
    for n in "${ratio_cols[@]}"; do out+=("$(ratio "${med[$n]:-}" "${med[crun]:-}")"); done
    line "$label" "${out[@]}"
}

# create + start + delete: the sum of the three medians
sum_row() {
    local out=() s m
    declare -A tot
    for n in "${cols[@]}"; do
        m=0
        for f in create start delete; do
            s=$(stats "$work/$f.$n" 1 1000000 2)
            [ -n "$s" ] || { m=""; break; }
            m=$(awk -v a="$m" -v b="${s%% *}" 'BEGIN { printf("%.2f", a + b) }')
        done
        tot[$n]=$m
        out+=("${m:-n/a}")
    done
    for n in "${ratio_cols[@]}"; do out+=("$(ratio "${tot[$n]:-}" "${tot[crun]:-}")"); done
    line "create+start+delete (ms, sum of the medians)" "${out[@]}"
}

floor_row() { # the kernel floor and each ocirun's ratio to it
    local fl s
    fl=$(stats "$work/run.floor" 1 1000000 2)
    printf '| floor: bench/floor.c, run /bin/true (ms) | %s |' "$(cell "$fl")"
    for n in "${ratio_cols[@]}"; do
        s=$(stats "$work/run.$n" 1 1000000 2)
        printf ' %s/floor: %s |' "$n" "$(ratio "$s" "$fl")"
    done
    echo
}

version() { "$1" --version 2>/dev/null | head -1; }
{
    echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), kernel $(uname -r), $(sed -n 's/^PRETTY_NAME="\(.*\)"/\1/p' /etc/os-release)"
    for k in "${!names[@]}"; do echo "${names[$k]}: ${bins[$k]} — $(version "${bins[$k]}")"; done
    echo "Load average (1/5/15 min): $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after"
    echo "Runs: $RUNS per runtime (run, create/start/delete, exec, state), $STRACE_RUNS under strace, list and delete -f with $LIST_N containers (list x $LIST_REPS), $ROW_REPS x $ROW_LEN runs in a row, $TPUT_S s of 2 parallel loops"
    echo
    echo "Medians, (min-max) in brackets; ratio = median / crun's median."
    echo
    hdr="| metric |" sep="|---|"
    for n in "${cols[@]}"; do hdr+=" $n |"; sep+="---|"; done
    for n in "${ratio_cols[@]}"; do hdr+=" $n/crun |"; sep+="---|"; done
    echo "$hdr"
    echo "$sep"
    row "run /bin/true (ms)" run 1 1000000 2
    row "$ROW_LEN runs in a row (ms, whole loop)" row 1 1000000 0
    row "create (ms)" create 1 1000000 2
    row "start (ms)" start 1 1000000 2
    row "delete (ms)" delete 1 1000000 2
    sum_row
    row "run+seccomp, default profile (ms)" seccomp 1 1000000 2
    row "run+seccomp, no BPF cache (ms)" seccompnc 1 1000000 2
    row "exec /bin/true, running container (ms)" exec 1 1000000 2
    row "state, running container (ms)" state 1 1000000 2
    row "list, $LIST_N containers (ms)" list 1 1000000 2
    row "delete -f of $LIST_N created containers (ms, whole loop)" delf 1 1000000 0
    row "throughput, 2 parallel loops (runs/s)" tput 1 1 2
    row "peak RSS of run (KiB)" run 2 1 0
    row "minor page faults per run" run 3 1 0
    row "peak RSS of exec (KiB)" exec 2 1 0
    row "syscalls per run (strace -f -c)" syscalls 1 1 0
    row "syscalls per exec (strace -f -c)" xsyscalls 1 1 0
    echo
    floor_row
    echo
    for n in "${cols[@]}" floor; do
        f=0
        for m in run row create start delete seccomp seccompnc exec state list delf; do
            f=$((f + $(failures "$work/$m.$n")))
        done
        [ "$f" = 0 ] || echo "note: $n: $f failed calls (not in the figures)"
    done
} | tee ${OUT:+"$OUT"}
