#!/usr/bin/env bash
# Regenerates Sources/COnnx from onnx.proto with protoc-c. Run once per onnx pin change; the output is
# committed, so a build needs only libprotobuf-c-dev (never protoc-c or Python).
# Needs: protobuf-c-compiler (Debian), and the pinned venv of fixtures/venv.sh, whose `onnx` package
# ships onnx.proto (proto2, package onnx; identical to onnx-ml.proto apart from comments).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v protoc-c >/dev/null || { echo "generate-onnx-proto: protoc-c missing: apt-get install protobuf-c-compiler" >&2; exit 1; }
py="$(bash "$root/fixtures/venv.sh")/bin/python"
proto="$("$py" -c 'import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), "onnx.proto"))')"
version="$("$py" -c 'import onnx; print(onnx.__version__)')"
out="$root/Sources/COnnx"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cp "$proto" "$tmp/onnx.proto"
(cd "$tmp" && protoc-c --c_out=. onnx.proto)
cp "$tmp/onnx.proto" "$out/onnx.proto"
cp "$tmp/onnx.pb-c.c" "$out/onnx.pb-c.c"
cp "$tmp/onnx.pb-c.h" "$out/include/onnx.pb-c.h"
# The .c file includes "onnx.pb-c.h"; SwiftPM puts include/ on the search path.
printf 'onnx %s (PyPI), %s\n' "$version" "$(protoc-c --version | head -1)" > "$out/GENERATED_FROM"
echo "generate-onnx-proto: regenerated Sources/COnnx from onnx $version" >&2
