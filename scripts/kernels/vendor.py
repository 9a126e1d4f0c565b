#!/usr/bin/env python3
"""Compiles every clkfac OpenCL program, exactly as the runtime builds it, for AMD (clang amdgcn +
libclc), NVIDIA (clang nvptx64 + libclc, assembled by ptxas) and Intel (SPIR-V from clang spir64 +
llvm-spirv, checked by spirv-val), then writes the per-kernel resource table (registers, spills,
local memory, the occupancy they allow) as Markdown and CSV.

Exit 0 when everything compiles; 77 when no target's toolchain is installed; 1 naming each program/kernel/target that failed to compile,
validate, link its built-ins, or spilled. A target whose toolchain is missing is skipped with the
reason printed. Usage:
  vendor.py --src BUILD/generated/cl_joined --cl-dir cl --out DIR [--jobs N] [--no-variants]
"""
import argparse
import concurrent.futures as cf
import csv
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LIBCLC = "/usr/lib/clc"

# Kernels on the per-update path (patches, col2im, heads, EMA, Cholesky block, trust region,
# optimizer steps): the 50% occupancy target on sm_80 and gfx1030 applies to them.
HOT = re.compile(r"^(kfac_patches|nn_col2im|heads_|kfac_ema|chol_potrf_block|kfac_trust_region|"
                 r"optim_)")

# Local memory a kernel gets as a __local argument (sized by the host, invisible to compilers):
# chol_potrf_block's tile is CHOL_BLOCK x (CHOL_BLOCK + 1) floats, CHOL_BLOCK = 64
# (src/linalg/chol.c).
DYNAMIC_LOCAL = {"chol_potrf_block": 64 * 65 * 4}
# Work-group size of kernels without reqd_work_group_size: the host launches 1-D kernels with
# CLKFAC_WG = 64 and 2-D ones with CLKFAC_WG2_X x CLKFAC_WG2_Y = 16 x 4 = 64 (cl/shared.h).
DEFAULT_WG = 64

# ---- occupancy ----------------------------------------------------------------------------
# AMD, per SIMD (LLVM's AMDGPUBaseInfo and the ISA manuals): occupancy = waves per SIMD the
# kernel allows / the architecture's maximum, where the allowed waves are the least of
#   max_waves,
#   floor(vgprs_per_simd / roundup(vgpr_count, vgpr_granule))          (VGPR file),
#   floor(800 / roundup(sgpr_count, 16))  on GCN (gfx9) only            (SGPR file),
#   floor(lds_per_cu / lds_bytes) * waves_per_group / simds_per_cu     (LDS, when used; may
#                                                   be under one wave per SIMD),
# with waves_per_group = ceil(work-group size / wavefront size). gfx10+ run in CU mode here
# (2 SIMD32 per CU, 64 KiB LDS per CU).
AMD = {
    #          max waves, VGPRs/SIMD (per lane), VGPR granule, SGPR-limited, SIMDs/CU, LDS/CU
    "gfx906": dict(max_waves=10, vgprs=256, vgpr_granule=4, sgpr_limited=True, simds=4,
                   lds=65536),
    "gfx90a": dict(max_waves=8, vgprs=512, vgpr_granule=8, sgpr_limited=True, simds=4,
                   lds=65536),
    "gfx1030": dict(max_waves=16, vgprs=1024, vgpr_granule=8, sgpr_limited=False, simds=2,
                    lds=65536),
    "gfx1100": dict(max_waves=16, vgprs=1536, vgpr_granule=24, sgpr_limited=False, simds=2,
                    lds=65536),
}
# NVIDIA, per SM (CUDA C Programming Guide, "Compute Capabilities" table; the occupancy
# calculator's rules): occupancy = resident warps / max warps, resident warps = blocks x
# warps_per_block, blocks the least of
#   max_blocks,
#   floor(regs_per_sm / (roundup(regs x 32, 256) x warps_per_block))   (register file),
#   floor(smem_per_sm / (roundup(smem, 128) + reserved))  when smem > 0  (shared memory),
#   floor(max_warps / warps_per_block),
# with warps_per_block = ceil(work-group size / 32); sm_80+ reserve 1 KiB per block.
NV = {
    "sm_70": dict(max_warps=64, max_blocks=32, regs=65536, smem=98304, reserved=0),
    "sm_75": dict(max_warps=32, max_blocks=16, regs=65536, smem=65536, reserved=0),
    "sm_80": dict(max_warps=64, max_blocks=32, regs=65536, smem=167936, reserved=1024),
    "sm_90": dict(max_warps=64, max_blocks=32, regs=65536, smem=233472, reserved=1024),
}


def ceil_div(a, b):
    return -(-a // b)


def roundup(a, g):
    return ceil_div(a, g) * g


def amd_occupancy(arch, vgpr, sgpr, lds, wg, wave):
    lim = AMD[arch]
    waves = float(lim["max_waves"])
    waves = min(waves, lim["vgprs"] // max(roundup(max(vgpr, 1), lim["vgpr_granule"]), 1))
    if lim["sgpr_limited"]:
        waves = min(waves, 800 // roundup(max(sgpr, 1), 16))
    if lds > 0:
        groups = lim["lds"] // lds
        waves = min(waves, groups * ceil_div(wg, wave) / lim["simds"])  # may be < 1 per SIMD
    return waves / lim["max_waves"]


def nv_occupancy(arch, regs, smem, wg):
    lim = NV[arch]
    wpb = ceil_div(wg, 32)
    blocks = min(lim["max_blocks"], lim["max_warps"] // wpb)
    blocks = min(blocks, lim["regs"] // (roundup(max(regs, 1) * 32, 256) * wpb))
    if smem > 0:
        blocks = min(blocks, lim["smem"] // (roundup(smem, 128) + lim["reserved"]))
    return blocks * wpb / lim["max_warps"]


# ---- toolchains ---------------------------------------------------------------------------
def which(*names):
    for n in names:
        if n and (os.path.isabs(n) and os.access(n, os.X_OK) or not os.path.isabs(n)
                  and shutil.which(n)):
            return shutil.which(n) if not os.path.isabs(n) else n
    return None


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


def clang_for_amd(arch):
    """The first clang that knows arch (clang-14 lacks gfx1100; clang-15 has it)."""
    for c in ("clang-14", "clang-15", "clang-16", "clang-17"):
        path = which(c)
        if not path:
            continue
        rc, _ = run([path, "-x", "cl", "-target", "amdgcn--amdhsa", "-mcpu=" + arch, "-nogpulib",
                     "-c", "/dev/null", "-o", "/dev/null"])
        if rc == 0:
            return path
    return None


class Toolchains:
    def __init__(self):
        self.clang = which("clang-14", "clang")
        self.nm = which("llvm-nm-14", "llvm-nm")
        self.readobj = which("llvm-readobj-14", "llvm-readobj")
        self.spirv = which("llvm-spirv-14", "llvm-spirv")
        self.val = which("spirv-val")
        self.dis = which("spirv-dis")
        self.ptxas = which(os.environ.get("PTXAS", ""), "/usr/local/cuda/bin/ptxas", "ptxas")
        self.amd_clang = {}
        self.skip = {}  # target -> reason
        clc_amd = os.path.join(LIBCLC, "amdgcn--amdhsa.bc")
        clc_nv = os.path.join(LIBCLC, "nvptx64--nvidiacl.bc")
        for arch in AMD:
            if not self.clang:
                self.skip[arch] = "clang-14 not installed"
            elif not os.path.exists(clc_amd):
                self.skip[arch] = clc_amd + " missing (apt: libclc-14)"
            elif not (self.nm and self.readobj):
                self.skip[arch] = "llvm-nm/llvm-readobj missing (apt: llvm-14)"
            else:
                c = clang_for_amd(arch)
                if c:
                    self.amd_clang[arch] = c
                else:
                    self.skip[arch] = "no installed clang knows " + arch + " (clang-15+ does)"
        for arch in NV:
            if not self.clang:
                self.skip[arch] = "clang-14 not installed"
            elif not os.path.exists(clc_nv):
                self.skip[arch] = clc_nv + " missing (apt: libclc-14)"
            elif not self.ptxas:
                self.skip[arch] = "ptxas not found (CUDA toolkit; set PTXAS=path)"
            else:
                probe = self.ptxas_probe(arch)
                if probe:
                    self.skip[arch] = probe
        if not (self.clang and self.spirv and self.val):
            self.skip["spirv64"] = "needs clang-14, llvm-spirv-14 and spirv-val (apt: " \
                                   "llvm-spirv-14 spirv-tools)"
        self.clc_amd, self.clc_nv = clc_amd, clc_nv

    def ptxas_probe(self, arch):
        ptx = ".version 6.0\n.target sm_70\n.address_size 64\n.visible .entry k() { ret; }\n"
        tmp = os.path.join(os.environ.get("TMPDIR", "/tmp"), "clkfac-probe-%d.ptx" % os.getpid())
        with open(tmp, "w") as f:
            f.write(ptx)
        rc, out = run([self.ptxas, "-arch=" + arch, tmp, "-o", "/dev/null"])
        os.unlink(tmp)
        if rc == 0:
            return None
        rc2, ver = run([self.ptxas, "--version"])
        v = re.search(r"release ([0-9.]+)", ver)
        return "this ptxas (CUDA %s) cannot assemble %s: %s" % (
            v.group(1) if v else "?", arch, out.strip().splitlines()[-1] if out.strip() else rc)


# ---- compiling ----------------------------------------------------------------------------
def kernel_at(cl_dir, fname, line):
    """The kernel whose body holds fname:line (the last __kernel at or above it)."""
    path = os.path.join(cl_dir, fname)
    if not os.path.exists(path):
        return None
    name = None
    with open(path) as f:
        lines = f.read().splitlines()
    for i, text in enumerate(lines[:line]):
        if text.startswith("__kernel"):
            m = re.search(r"\b([a-z][a-z0-9_]*)\s*\(", " ".join(lines[i:i + 2]).split("))", 1)[-1])
            name = m.group(1) if m else name
    return name


def name_errors(log, cl_dir):
    """The log's error lines, each with the kernel it falls in."""
    out = []
    for m in re.finditer(r"^([a-z_]+\.cl):(\d+):\d+: (error|warning): (.*)$", log, re.M):
        k = kernel_at(cl_dir, m.group(1), int(m.group(2)))
        out.append("%s:%s %s(in %s): %s" % (m.group(1), m.group(2), m.group(3) + " ",
                                           k or "file scope", m.group(4)))
    return out or [l for l in log.strip().splitlines()[-3:]]


def cl_flags(base, extra):
    # -Werror=double-promotion: an implicit double (a literal without f mixed with floats, a
    # float passed to a double) is an error for every vendor, not only where fp64 is missing.
    return ["-x", "cl"] + base.split() + extra.split() + [
        "-Xclang", "-finclude-default-header", "-Werror=double-promotion", "-Werror"]


def compile_amd(tc, arch, src, flags, work, tag):
    obj = os.path.join(work, "%s.%s.o" % (tag, arch))
    rc, log = run([tc.amd_clang[arch]] + flags + [
        "-target", "amdgcn--amdhsa", "-mcpu=" + arch, "-nogpulib", "-Xclang",
        "-mlink-builtin-bitcode", "-Xclang", tc.clc_amd, "-O2", "-c", src, "-o", obj])
    if rc != 0:
        return None, log
    rc, undef = run([tc.nm, "-u", obj])
    if undef.strip():
        return None, "undefined built-ins (not in libclc): " + " ".join(undef.split())
    rc, notes = run([tc.readobj, "--notes", obj])
    rows = []
    blocks = re.split(r"\n  - \.", notes.split("amdhsa.kernels:", 1)[-1])
    for b in blocks:
        kv = dict(re.findall(r"^ {0,4}\.?([a-z_]+):\s+(\S.*)$", "." + b, re.M))
        if "vgpr_count" not in kv:
            continue
        name = kv["name"]
        wg_m = re.search(r"\.reqd_workgroup_size:\s*\n\s*- (\d+)\s*\n\s*- (\d+)\s*\n\s*- (\d+)", b)
        wg = int(wg_m.group(1)) * int(wg_m.group(2)) * int(wg_m.group(3)) if wg_m else DEFAULT_WG
        lds = int(kv.get("group_segment_fixed_size", 0)) + DYNAMIC_LOCAL.get(name, 0)
        vgpr, sgpr = int(kv["vgpr_count"]), int(kv["sgpr_count"])
        spills = int(kv.get("vgpr_spill_count", 0)) + int(kv.get("sgpr_spill_count", 0))
        wave = int(kv.get("wavefront_size", 64))
        rows.append(dict(kernel=name, regs="%d v / %d s" % (vgpr, sgpr), spills=spills,
                         private=int(kv.get("private_segment_fixed_size", 0)), local=lds, wg=wg,
                         occupancy=amd_occupancy(arch, vgpr, sgpr, lds, wg, wave)))
    return rows, log


def compile_ptx(tc, src, flags, work, tag):
    ptx = os.path.join(work, tag + ".ptx")
    rc, log = run([tc.clang] + flags + [
        "-target", "nvptx64--nvidiacl", "-march=sm_70", "-nogpulib", "-Xclang",
        "-mlink-builtin-bitcode", "-Xclang", tc.clc_nv, "-O2", "-S", src, "-o", ptx])
    if rc != 0:
        return None, log
    with open(ptx) as f:
        text = f.read()
    # .extern .func [(return param)] name(params): a built-in libclc does not define
    undef = re.findall(r"^\.extern \.func\s*(?:\([^)]*\)\s*)?(\w+)", text, re.M)
    if undef:
        return None, "undefined built-ins (not in libclc): " + " ".join(undef)
    wgs = {}
    for m in re.finditer(r"\.entry (\w+)\(.*?\)\s*((?:\.\w+[^\n]*\n)*)", text, re.S):
        r = re.search(r"\.reqntid (\d+), (\d+), (\d+)", m.group(2))
        wgs[m.group(1)] = int(r.group(1)) * int(r.group(2)) * int(r.group(3)) if r else DEFAULT_WG
    return (ptx, wgs), log


def assemble_ptx(tc, arch, ptx, wgs, work, tag):
    rc, log = run([tc.ptxas, "-arch=" + arch, "-v", ptx, "-o",
                   os.path.join(work, "%s.%s.cubin" % (tag, arch))])
    if rc != 0:
        return None, log
    rows, cur, prev = [], None, ""
    for line in log.splitlines():
        m = re.search(r"Compiling entry function '(\w+)'", line)
        if m:
            cur = dict(kernel=m.group(1), spills=0, private=0, local=0, regs="0",
                       wg=wgs.get(m.group(1), DEFAULT_WG))
            rows.append(cur)
            continue
        if cur is None:
            prev = line
            continue
        m = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill", line)
        if m and "Function properties for " + cur["kernel"] in prev:
            cur["private"], cur["spills"] = int(m.group(1)), int(m.group(2)) + int(m.group(3))
        m = re.search(r"Used (\d+) registers", line)
        if m:
            cur["regs"] = m.group(1)
            s = re.search(r"(\d+) bytes smem", line)
            cur["local"] = (int(s.group(1)) if s else 0) + DYNAMIC_LOCAL.get(cur["kernel"], 0)
        prev = line
    for r in rows:
        r["occupancy"] = nv_occupancy(arch, int(r["regs"]), r["local"], r["wg"])
    return rows, log


def compile_spirv(tc, src, flags, work, tag):
    bc, spv = os.path.join(work, tag + ".spir.bc"), os.path.join(work, tag + ".spv")
    # -O0: llvm-spirv-14 cannot translate what LLVM 14's optimizer emits (freeze); the Intel
    # driver optimizes the SPIR-V itself. Without cl_khr_fp64: no kernel may need doubles.
    rc, log = run([tc.clang] + flags + ["-Xclang", "-cl-ext=-cl_khr_fp64", "-target", "spir64",
                                        "-O0", "-emit-llvm", "-c", src, "-o", bc])
    if rc != 0:
        return None, log
    # SPIR-V 1.0: what an OpenCL 1.2 driver (cl_khr_il_program) accepts; 1.4 is the default.
    rc, log2 = run([tc.spirv, "--spirv-max-version=1.0", bc, "-o", spv])
    if rc != 0:
        return None, log + log2
    rc, log3 = run([tc.val, "--target-env", "opencl1.2", spv])
    if rc != 0:
        return None, log + log3
    if tc.dis:
        rc, dis = run([tc.dis, spv])
        if re.search(r"OpCapability (Float64|Int64Atomics)", dis):
            return None, "the SPIR-V needs Float64 (doubles) or 64-bit atomics"
    return [], log


def build_jobs(args, base):
    progs = sorted(f[:-3] for f in os.listdir(args.src) if f.endswith(".cl"))
    jobs = [(p, "") for p in progs]
    if not args.no_variants:
        with open(os.path.join(HERE, "variants.txt")) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    p, opts = line.split(None, 1)
                    if p not in progs:
                        sys.exit("vendor.py: variants.txt names program '%s', not in %s" %
                                 (p, args.src))
                    jobs.append((p, opts))
    return jobs


def do_job(tc, args, base, work, prog, extra):
    """Compiles one program (with extra options) for every target. Returns (rows, failures)."""
    tag = prog + (re.sub(r"[^A-Za-z0-9]+", "_", extra) if extra else "")
    label = prog + (" [" + extra + "]" if extra else "")
    src = os.path.join(args.src, prog + ".cl")
    flags = cl_flags(base, extra)
    rows, fails = [], []

    def fail(target, log):
        for e in name_errors(log, args.cl_dir):
            fails.append("FAIL %s on %s: %s" % (label, target, e))

    for arch in AMD:
        if arch in tc.skip:
            continue
        r, log = compile_amd(tc, arch, src, flags, work, tag)
        if r is None:
            fail(arch, log)
        else:
            rows += [dict(x, program=label, target=arch, vendor="AMD") for x in r]
    nv = [a for a in NV if a not in tc.skip]
    if nv:
        res, log = compile_ptx(tc, src, flags, work, tag)
        if res is None:
            fail("nvptx64", log)
        else:
            for arch in nv:
                r, log = assemble_ptx(tc, arch, res[0], res[1], work, tag)
                if r is None:
                    fail(arch, log)
                else:
                    rows += [dict(x, program=label, target=arch, vendor="NVIDIA") for x in r]
    if "spirv64" not in tc.skip:
        r, log = compile_spirv(tc, src, flags, work, tag)
        if r is None:
            fail("spirv64 (Intel)", log)
    for row in rows:
        if row["spills"]:
            fails.append("FAIL %s on %s: kernel %s spills (%d)" % (label, row["target"],
                                                                  row["kernel"], row["spills"]))
    return rows, fails, extra == ""


def write_tables(out, rows, skips, targets, elapsed, base):
    with open(os.path.join(out, "kernels.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["program", "kernel", "vendor", "target", "registers", "spills_bytes_or_count",
                    "private_bytes", "local_bytes", "work_group", "occupancy", "hot"])
        for r in rows:
            w.writerow([r["program"], r["kernel"], r["vendor"], r["target"], r["regs"],
                        r["spills"], r["private"], r["local"], r["wg"],
                        "%.3f" % r["occupancy"], int(bool(HOT.match(r["kernel"])))])
    kernels = sorted({(r["program"], r["kernel"]) for r in rows})
    by = {(r["kernel"], r["target"]): r for r in rows}
    lines = ["# Kernel resources per GPU target", "",
             "Written by scripts/kernels/vendor.py from the exact program text the runtime "
             "builds (build options `%s`). Each cell: registers (AMD: VGPR/SGPR; NVIDIA: per "
             "thread) · local/shared bytes · occupancy. `*` marks a hot kernel (the 50%% target "
             "on sm_80 and gfx1030); no kernel spills (a spill fails the check)." % base, ""]
    hdr = ["kernel"] + targets
    lines += ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
    for prog, k in kernels:
        cells = []
        for t in targets:
            r = by.get((k, t))
            if r is None:
                cells.append("-")
                continue
            cells.append("%s · %d · %d%%" % (r["regs"].replace(" ", ""), r["local"],
                                               round(100 * r["occupancy"])))
        lines.append("| %s%s | %s |" % (k, " *" if HOT.match(k) else "", " | ".join(cells)))
    low = sorted({(r["kernel"], r["target"], r["occupancy"]) for r in rows
                  if HOT.match(r["kernel"]) and r["target"] in ("sm_80", "gfx1030")
                  and r["occupancy"] < 0.5})
    lines += ["", "Hot kernels under 50%% occupancy on sm_80/gfx1030: %s." %
              (", ".join("%s on %s (%d%%)" % (k, t, round(100 * o)) for k, t, o in low)
               or "none")]
    if skips:
        lines += ["", "Skipped targets: " + "; ".join("%s (%s)" % kv for kv in skips.items())]
    lines += ["", "Occupancy formulas and per-architecture limits: the comments at the top of "
              "scripts/kernels/vendor.py. Work-group size: reqd_work_group_size where declared, "
              "else 64 (the host's launches). SPIR-V (Intel) is validated, compiled without "
              "cl_khr_fp64; its registers are the driver's choice and not reported. "
              "Compile time: %.0f s." % elapsed, ""]
    with open(os.path.join(out, "kernels.md"), "w") as f:
        f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", required=True, help="BUILD/generated/cl_joined")
    ap.add_argument("--cl-dir", default=os.path.join(ROOT, "cl"))
    ap.add_argument("--program-c", default=os.path.join(ROOT, "src", "cl", "program.c"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--no-variants", action="store_true",
                    help="only the default build options (skip variants.txt)")
    args = ap.parse_args()
    t0 = time.time()
    with open(args.program_c) as f:
        m = re.search(r'^#define BUILD_OPTIONS "([^"]*)"', f.read(), re.M)
    if not m:
        sys.exit("vendor.py: no BUILD_OPTIONS in " + args.program_c)
    base = m.group(1)
    if not os.path.isdir(args.src) or not any(f.endswith(".cl") for f in os.listdir(args.src)):
        sys.exit("vendor.py: no programs in %s (build clkfac first)" % args.src)
    tc = Toolchains()
    for t, why in tc.skip.items():
        print("SKIP %s: %s" % (t, why))
    if len(tc.skip) == len(AMD) + len(NV) + 1:
        print("SKIP: no vendor toolchain installed (scripts/setup.sh installs them)")
        return 77
    work = os.path.join(args.out, "objects")
    os.makedirs(work, exist_ok=True)
    jobs = build_jobs(args, base)
    rows, fails = [], []
    with cf.ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as ex:
        for r, f, default in ex.map(lambda j: do_job(tc, args, base, work, *j), jobs):
            if default:
                rows += r
            fails += f
    targets = [t for t in list(AMD) + list(NV) if t not in tc.skip]
    write_tables(args.out, rows, tc.skip, targets, time.time() - t0, base)
    n_k = len({r["kernel"] for r in rows})
    print("vendor: %d programs (%d builds with variants), %d kernels, targets: %s%s; %.0f s" % (
        len({j[0] for j in jobs}), len(jobs), n_k, ", ".join(targets),
        "" if "spirv64" in tc.skip else ", spirv64", time.time() - t0))
    print("vendor: table in %s/kernels.md and kernels.csv" % args.out)
    for f in fails:
        print(f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
