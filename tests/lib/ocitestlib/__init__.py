"""Python side of the ocirun test harness.

bundle   -- OCI bundles with a busybox + ocitest rootfs, runc-spec config
runner   -- running the ocirun binary (CompletedProcess results, background runs)
leaks    -- snapshots of mounts, processes and cgroups; leak diff and cleanup
procs    -- small /proc helpers (alive?, start time, kill-and-wait by pid)

tests/conftest.py turns these into pytest fixtures.
"""
