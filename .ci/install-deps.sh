#!/usr/bin/env bash
# Installs every Debian 12 package simcon needs to build, test and run its
# bundled example. Used by tests/run.sh (the test command, with --tests)
# and by experiments/run_example.sh (the main job). Needs root; as another
# user it only checks and tells what to install.
set -euo pipefail

packages=(
  build-essential g++ cmake pkg-config clang-format  # toolchain (g++: header test)
  universal-ctags                               # tests/arch: function lengths
  libgsl-dev libopenblas-dev libyaml-dev        # libraries we link (and librsvg, cairo below)
  zlib1g-dev                                    # compressed .npz inputs
  python3 python3-numpy python3-scipy python3-sklearn  # independent references
  bsdutils                                       # script: progress tests on a pseudo-terminal
  python3-pandas python3-pytest python3-setuptools python3-pip python3-venv  # python/ package and its tests
  chromium                                       # report.html browser test
  librsvg2-dev libcairo2-dev fonts-dejavu-core   # PDF and PNG figures (issue 16)
  poppler-utils                                  # PDF checks: pdftoppm, pdffonts
  slurmctld slurmd slurm-client munge           # slurm.cluster: a one-node Slurm cluster
  clang libclang-rt-14-dev llvm  # fuzzing: libFuzzer + ASan runtimes (only
                                 # recommended by clang), llvm-symbolizer, llvm-cov
)
# --tests: what only the tests need. python3-torch (about 160 packages, 90 s)
# runs README's "From your model to simcon" recipe (python.readme_recipe),
# which would otherwise be skipped; the main job does not need it.
if [ "${1:-}" = --tests ]; then
  packages+=(python3-torch)
fi

if [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${packages[@]}"
else
  missing=()
  for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: missing packages; run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
