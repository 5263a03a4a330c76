#!/usr/bin/env python3
"""Writes a small ONNX "depth" model for the CPU plugin's tests, without the onnx package.

usage: make-depth-model.py <out.onnx> [nchw|nhwc] [side]

The model maps an RGB image tensor ([1,3,S,S] or [1,S,S,3], float32) to the mean of its three
channels ([1,1,S,S] or [1,S,S,1]): a dense one-channel map whose values the test can predict
from the image (brightness / 255). ONNX is protobuf; the few messages needed are encoded here
by hand (field numbers from onnx.proto, IR version 7, opset 13).
"""
import sys


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, wire, payload):
    return varint(num << 3 | wire) + payload


def vint(num, n):
    return field(num, 0, varint(n))


def ld(num, data):
    if isinstance(data, str):
        data = data.encode()
    return field(num, 2, varint(len(data)) + data)


def value_info(name, dims):
    shape = b"".join(ld(1, vint(1, d)) for d in dims)  # TensorShapeProto.dim.dim_value
    tensor = vint(1, 1) + ld(2, shape)  # elem_type FLOAT, shape
    return ld(1, name) + ld(2, ld(1, tensor))  # name, type.tensor_type


def main():
    out = sys.argv[1]
    layout = sys.argv[2] if len(sys.argv) > 2 else "nchw"
    side = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    if layout == "nchw":
        in_dims, out_dims, axis = [1, 3, side, side], [1, 1, side, side], 1
    else:
        in_dims, out_dims, axis = [1, side, side, 3], [1, side, side, 1], 3
    axes = ld(1, "axes") + vint(20, 7) + vint(8, axis)  # AttributeProto: name, type INTS, ints
    keep = ld(1, "keepdims") + vint(20, 2) + vint(3, 1)  # type INT, i
    node = ld(1, "image") + ld(2, "depth") + ld(3, "mean") + ld(4, "ReduceMean")
    node += ld(5, axes) + ld(5, keep)
    graph = ld(1, node) + ld(2, "depth-test") + ld(11, value_info("image", in_dims))
    graph += ld(12, value_info("depth", out_dims))
    model = vint(1, 7) + ld(2, "vaccel-tests") + ld(7, graph) + ld(8, ld(1, "") + vint(2, 13))
    with open(out, "wb") as f:
        f.write(model)


if __name__ == "__main__":
    main()
