#!/usr/bin/env bash
# Installs the Debian packages nnkit needs, only those that are missing.
# Used by `make demo`, `make test` and CI; safe to run repeatedly.
set -euo pipefail

PACKAGES=(
  libhdf5-dev        # Format: the HDF5 container and Keras .h5 files
  libprotobuf-c-dev  # ONNX interchange
  libopenblas-dev    # Runtime: cblas_sgemm
  libfast-float-dev  # Tabular: correctly rounded decimal-to-float32 (C++ header-only, CFastFloat shim)
  libopenmpi-dev openmpi-bin  # nnrun train --distributed (libmpi.so.40, loaded at run time), mpirun and mpicc for its tests
  pkg-config         # SwiftPM finds the three above through it
  python3 python3-venv python3-pip  # fixtures/venv.sh: Keras reference and interop checks
  openjdk-17-jre-headless           # the Spark examples' test (pyspark 4 runs on Java 17)
  ca-certificates
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# The JRE's post-install step links its man pages there; slim images (Docker's debian:*-slim) lack the folder.
$SUDO mkdir -p /usr/share/man/man1
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
