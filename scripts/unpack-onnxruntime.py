#!/usr/bin/env python3
"""Unpacks libonnxruntime and its licence texts from the PyPI onnxruntime wheel.

usage: unpack-onnxruntime.py <wheel dir> <version> <out dir>

The CPU plugin loads ONNX Runtime at run time; the wheel is the registry package that carries
the official Linux build of the library (the Python bindings in it are not used).
"""
import glob
import os
import sys
import zipfile

wheels, version, out = sys.argv[1:4]
found = sorted(glob.glob(os.path.join(wheels, f"onnxruntime-{version}-*.whl")))
if not found:
    sys.exit(f"no onnxruntime {version} wheel in {wheels}")
with zipfile.ZipFile(found[-1]) as z:
    for member, name in [
        ("onnxruntime/LICENSE", "LICENSE"),
        ("onnxruntime/ThirdPartyNotices.txt", "ThirdPartyNotices.txt"),
        # Last: its presence tells make that the unpacking is complete.
        (f"onnxruntime/capi/libonnxruntime.so.{version}", f"libonnxruntime.so.{version}"),
    ]:
        tmp = os.path.join(out, name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(z.read(member))
        os.replace(tmp, os.path.join(out, name))
