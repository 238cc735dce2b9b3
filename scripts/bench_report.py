#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The host half of `make bench`: read each kernel's measurements
(<dir>/<kver>.jsonl, one JSON object per line from bench/pbbench.c), print
the tables and the seven targets, and write <dir>/results.json and
<dir>/registration.png (with gnuplot).

    bench_report.py <dir> <kver>...

Exits 1 when a kernel's measurements are missing or incomplete; a missed
target is reported, not an error (docs/benchmarks.md says why)."""
import datetime
import json
import os
import shutil
import subprocess
import sys

SIZES = [4096, 1 << 20, 64 << 20, 1 << 30]
PAGE = 4096
STRUCT_PAGE = 64        # bytes of struct page per 4 KiB page (ZONE_DEVICE)
DMA_ADDR = 8            # one dma_addr_t per page, as Glisse's RFC keeps


def size_name(n):
    for unit, shift in (("G", 30), ("M", 20), ("K", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return "%d%s" % (n >> shift, unit)
    return str(n)


def bytes_name(n):
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return "%.1f %s" % (n / (1 << shift), unit)
    return "%d B" % n


def t_name(ns):
    if ns is None:
        return "n/a"
    for unit, div in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= div:
            return "%.3g %s" % (ns / div, unit)
    return "%d ns" % ns


def x_name(v):
    if v is None:
        return "n/a"
    return ("%.0fx" if v >= 100 else "%.1fx" if v >= 1 else "%.2fx") % v


def load(d, kver):
    k = {"registration": {}, "fault": {}, "revoke": {}, "copy": None,
         "release": kver}
    path = os.path.join(d, kver + ".jsonl")
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            m = json.loads(line)
            kind = m.pop("kind")
            if kind == "kernel":
                k.update(m)
            elif kind == "registration":
                k["registration"].setdefault(m["method"], {})[m["size"]] = m
            elif kind == "fault":
                k["fault"][m["placement"]] = m
            elif kind == "revoke" and m["cpu_maps"]:
                k["revoke"][m["exports"]] = m["ns"]
            elif kind == "revoke":
                k["revoke_devices_only"] = m["ns"]
            elif kind == "copy":
                k["copy"] = m
            elif kind == "syscall":
                k["syscall_ns"] = m["ns"]
    pb = k["registration"].get("peerbridge", {})
    missing = [size_name(s) for s in SIZES if s not in pb]
    if missing or len(k["fault"]) != 2 or sorted(k["revoke"]) != [1, 100, 1000]:
        sys.exit("bench_report: %s: incomplete measurements in %s" % (kver, path))
    return k


def huge_pfnmap(release):
    """PMD-sized PFN mappings: 6.12 and later (kmod/pb_compat.h)."""
    major, minor = (int(x) for x in release.split(".")[:2])
    return (major, minor) >= (6, 12)


def ns_of(k, method, size):
    m = k["registration"].get(method, {}).get(size)
    return m.get("ns") if m else None


def targets(kernels):
    """the seven targets; each kernel's value, met on every kernel it
    applies to, and for a miss by how much"""
    out = []

    def short(k):
        return ".".join(k["release"].split(".")[:2])

    def add(tid, goal, per_kernel, bound, at_least, fmt):
        ok = lambda v: v is not None and (v >= bound if at_least else v <= bound)
        gaps = []
        for name, v in per_kernel:
            if v is not None and not ok(v):
                gaps.append("%s is %s short" % (name, x_name(bound / v)) if at_least
                            else "%s over by %s" % (name, fmt(v - bound)))
        out.append({"id": tid, "goal": goal,
                    "met": bool(per_kernel) and all(ok(v) for _, v in per_kernel),
                    "measured": {name: v for name, v in per_kernel},
                    "text": ", ".join("%s %s" % (name, fmt(v))
                                      for name, v in per_kernel),
                    "gap": "; ".join(gaps)})

    vals = []
    for k in kernels:
        g, p = ns_of(k, "gup", 1 << 30), ns_of(k, "peerbridge", 1 << 30)
        vals.append((short(k), g / p if g and p else None))
    add("registration-vs-gup", ">= 1000x faster than 1 GiB ibv_reg_mr",
        vals, 1000, True, x_name)

    vals = [(short(k), ns_of(k, "peerbridge", 1 << 30) /
             ns_of(k, "peerbridge", 4096)) for k in kernels]
    add("registration-flat", "1 GiB within 2x of 4 KiB", vals, 2, False, x_name)

    vals = [(short(k), max(m["entries"] / m["ranges"] for m in
                           k["registration"]["peerbridge"].values()))
            for k in kernels]
    add("sg-entries", "<= 1 scatter entry per contiguous range", vals, 1, False,
        lambda v: "%.2f/range" % v)

    # peerbridge's own count and the slab growth, dma-buf core included:
    # the larger of the two, at the worst size
    vals = [(short(k), max(max(m["kmem"], m["slab_per_export"]) for m in
                           k["registration"]["peerbridge"].values()))
            for k in kernels]
    add("kmem-per-export", "<= 2 KiB at every size", vals, 2048, False,
        lambda v: "%d B" % v)

    huge = [k for k in kernels if huge_pfnmap(k["release"])]
    vals = [(short(k), k["fault"]["off-by-one-page"]["ns"] /
             k["fault"]["kernel"]["ns"]) for k in huge]
    add("huge-fault-speed", ">= 20x faster than 4 KiB faults (6.12)", vals,
        20, True, x_name)
    vals = [(short(k), k["fault"]["off-by-one-page"]["faults"] /
             max(1, k["fault"]["kernel"]["faults"])) for k in huge]
    add("huge-fault-count", ">= 100x fewer faults (6.12)", vals, 100, True,
        x_name)

    vals = [(short(k), k["revoke"][1000]) for k in kernels]
    add("revoke-1000", "< 50 ms with 1000 exports and mappings", vals, 50e6,
        False, t_name)
    return out


def print_kernel(k):
    print("\n== %s (medians of %s runs; peerbridge's registration %s) ==" % (
        k["release"], k.get("runs"), k.get("pb_runs")))
    reg = k["registration"]
    print("\nregistration: export (or create) + attach + map; GUP is ibv_reg_mr on rxe")
    if k.get("syscall_ns"):
        print("(one system call, GET_INFO, costs %s in this guest; peerbridge's "
              "EXPORT alone %s at 1G)" % (t_name(k["syscall_ns"]),
                                         t_name(reg["peerbridge"][1 << 30].get("export_ns"))))
    print("%-6s %12s %12s %12s %10s %12s" % ("size", "peerbridge", "udmabuf",
                                             "ibv_reg_mr", "GUP/pb", "udmabuf/pb"))
    for s in SIZES:
        p, u, g = (ns_of(k, m, s) for m in ("peerbridge", "udmabuf", "gup"))
        print("%-6s %12s %12s %12s %10s %12s" % (
            size_name(s), t_name(p), t_name(u), t_name(g),
            x_name(g / p if g else None), x_name(u / p if u else None)))
    print("\nmetadata per export (peerbridge counts its own; slab is every "
          "kernel object, dma-buf core included)")
    print("%-6s %8s %8s %10s %12s %10s %14s %14s" % (
        "size", "entries", "ranges", "pb kmem", "slab/export",
        "udmabuf sg", "struct pages", "dma_addr_t[]"))
    for s in SIZES:
        m = reg["peerbridge"][s]
        u = reg.get("udmabuf", {}).get(s, {})
        print("%-6s %8d %8d %10s %12s %10s %14s %14s" % (
            size_name(s), m["entries"], m["ranges"], bytes_name(m["kmem"]),
            bytes_name(max(0, m["slab_per_export"])),
            u.get("entries", "n/a"),
            bytes_name(s // PAGE * STRUCT_PAGE), bytes_name(s // PAGE * DMA_ADDR)))
    f = k["fault"]
    print("\nCPU fault-in, first touch of each 4 KiB page of 1 GiB")
    for name in ("kernel", "off-by-one-page"):
        print("  %-16s %10s  %7d faults  2 MiB-aligned: %s" % (
            name, t_name(f[name]["ns"]), f[name]["faults"],
            f[name]["aligned_2m"]))
    print("\nrevocation (sysfs revoke; each export attached, mapped and mmap()ed)")
    for n in (1, 100, 1000):
        print("  %4d exports: %s" % (n, t_name(k["revoke"][n])))
    if k.get("revoke_devices_only"):
        print("  1000 exports, no CPU mappings: %s" % t_name(k["revoke_devices_only"]))
    c = k["copy"]
    if c:
        print("\nCOPY (edu engine, informational: edu is slow by design): "
              "%s for %s, memcpy %s (%s)" % (
                  t_name(c["copy_ns"]), bytes_name(c["bytes"]),
                  t_name(c["memcpy_ns"]), x_name(c["copy_ns"] / c["memcpy_ns"])))


def plot(d, kernels):
    """registration time against size, every method, every kernel"""
    if not shutil.which("gnuplot"):
        print("bench: no gnuplot; plot skipped (scripts/deps.sh installs it)")
        return None
    dat = os.path.join(d, "registration.dat")
    cols = []
    with open(dat, "w") as f:
        for k in kernels:
            for method in ("peerbridge", "udmabuf", "gup"):
                rows = [(s, ns_of(k, method, s)) for s in SIZES]
                rows = [(s, ns) for s, ns in rows if ns]
                if not rows:
                    continue
                f.write('"%s %s"\n' % (k["release"].split("+")[0].split("-")[0],
                                       {"gup": "ibv_reg_mr (GUP)"}.get(method, method)))
                for s, ns in rows:
                    f.write("%d %f\n" % (s, ns / 1e6))
                f.write("\n\n")
                cols.append(len(cols))
    png = os.path.join(d, "registration.png")
    script = """set terminal png size 900,560 noenhanced
set output '%s'
set title 'Registration time by size (export/create + attach + map), median'
set logscale xy
set xlabel 'bytes registered'
set ylabel 'milliseconds'
set key left top
set grid
set xtics ('4K' 4096, '1M' 1048576, '64M' 67108864, '1G' 1073741824)
plot for [i=0:%d] '%s' index i using 1:2 with linespoints title columnheader(1)
""" % (png, len(cols) - 1, dat)
    subprocess.run(["gnuplot"], input=script.encode(), check=True)
    return png


def main():
    d, kvers = sys.argv[1], sys.argv[2:]
    kernels = [load(d, kv) for kv in kvers]
    for k in kernels:
        print_kernel(k)
    ts = targets(kernels)
    print("\nTargets")
    for t in ts:
        print("target %s: %s (goal %s) %s" % (t["id"], t["text"] or "n/a",
                                             t["goal"], "met" if t["met"] else "missed"))
    for t in ts:
        if t["gap"]:
            print("  %s missed: %s (docs/benchmarks.md says why)" % (t["id"], t["gap"]))
    png = plot(d, kernels)
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "kernels": {k["release"]: k for k in kernels},
        "targets": [{"id": t["id"], "goal": t["goal"], "measured": t["measured"],
                     "met": t["met"], "gap": t["gap"]} for t in ts],
        "plot": png,
    }
    # JSON keys must be strings
    for k in results["kernels"].values():
        for method in k["registration"].values():
            for s in list(method):
                method[str(s)] = method.pop(s)
        k["revoke"] = {str(n): v for n, v in k["revoke"].items()}
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    print("\nbench: wrote %s%s" % (os.path.join(d, "results.json"),
                                   ", " + png if png else ""))


if __name__ == "__main__":
    main()
