#!/usr/bin/env python3
"""Unpacks files of a PyPI wheel: the run-time libraries the CPU plugin loads, with their licences.

usage: unpack-wheel.py <wheel dir> <wheel name prefix> <out dir> <member>[=<name>]...

The wheels are the registry packages that carry official Linux builds of ONNX Runtime
(onnxruntime), TensorFlow's C API (tensorflow-cpu) and LiteRT (ai-edge-litert); their Python
bindings are not used. Each member is written to <out dir>/<name> (its base name by default)
through a temporary file; the last one is written last, so that its presence tells make the
unpacking is complete.
"""
import glob
import os
import sys
import zipfile

wheels, prefix, out = sys.argv[1:4]
found = sorted(glob.glob(os.path.join(wheels, f"{prefix}-*.whl")))
if not found:
    sys.exit(f"no {prefix} wheel in {wheels}")
os.makedirs(out, exist_ok=True)
with zipfile.ZipFile(found[-1]) as z:
    for spec in sys.argv[4:]:
        member, _, name = spec.partition("=")
        name = name or os.path.basename(member)
        tmp = os.path.join(out, name + ".tmp")
        with z.open(member) as src, open(tmp, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        os.chmod(tmp, 0o755 if ".so" in name else 0o644)
        os.replace(tmp, os.path.join(out, name))
