#!/usr/bin/env bash
# check_clones.sh SIMCON DATA_DIR WORK_DIR   (exit 0 pass, 1 fail, 77 skip)
#
# The per-CPU clones of the hot loops (include/simcon/clones.h) give the
# bits of the generic build: `simcon matrix` for the paper's metrics (cka
# linear and rbf, biased and unbiased; rsa correlation, cosine and
# euclidean RDMs with spearman and pearson), float64 and --float32 with 2
# threads, on 500 stimuli (the triangular passes' rows have every length
# from 1 to 499, so every vector loop's tail runs), run with glibc's hwcaps
# tunable masking AVX-512F, then AVX-512F and AVX2, must write CSVs
# byte-identical to the unmasked run.
# The expected value is the unmasked run of the same build: which clone
# runs changes nothing by construction, so 0 tolerance (cmp).
#
# A mask that glibc ignored would make the comparison vacuous, so each one
# is first shown to be live: ld.so --help lists the x86-64-v4 (AVX-512)
# and x86-64-v3 (AVX2) levels as "supported" only while their features
# are active. A level the CPU lacks is reported, and its clone is then
# not reachable here.
set -u
simcon=$1 data=$2 work=$3
ldso=/lib64/ld-linux-x86-64.so.2
if [ ! -x "$ldso" ] || ! "$ldso" --help >/dev/null 2>&1; then
  echo "# skip: no glibc x86-64 ld.so to read the active features from"
  exit 77
fi
mkdir -p "$work"
fail=0

# supported LEVEL [TUNABLES]: 0 when ld.so calls the level supported.
supported() {
  GLIBC_TUNABLES=${2:-} "$ldso" --help | grep -q "$1 (supported"
}

masks=("glibc.cpu.hwcaps=-AVX512F" "glibc.cpu.hwcaps=-AVX512F,-AVX2")
levels=("x86-64-v4" "x86-64-v3")
for m in 0 1; do
  if ! supported "${levels[m]}"; then
    echo "# note: this CPU has no ${levels[m]}: its clone is not tested here"
  elif supported "${levels[m]}" "${masks[m]}"; then
    echo "not ok - ${masks[m]} left ${levels[m]} active: the mask is ignored"
    fail=1
  else
    echo "ok - ${masks[m]} turns ${levels[m]} off"
  fi
done

# A third representation under another stem: a self-pair off the diagonal.
cp "$data/cka_real_x.npy" "$work/real_x_copy.npy"
inputs="$data/cka_real_x.npy $data/cka_real_y.npy $work/real_x_copy.npy"
configs=("-m cka"
         "-m cka -p unbiased=false"
         "-m cka -p kernel=rbf"
         "-m cka -p kernel=rbf -p sigma=0.8"
         "-m cka -p kernel=rbf -p unbiased=false -p sigma_rel=0.5"
         "-m rsa"
         "-m rsa -p corr=pearson"
         "-m rsa -p rdm=cosine -p precision=float64"
         "-m rsa -p rdm=euclidean -p corr=pearson -p precision=float64")
count=0
for c in "${configs[@]}"; do
  # --float32: float32 embeddings (and Grams where the metric offers them;
  # rsa's cosine and euclidean RDMs keep precision=float64, as they must).
  for extra in "" "--float32 --threads 2"; do
    count=$((count + 1))
    # shellcheck disable=SC2086 # word splitting intended
    if ! "$simcon" matrix $c $extra --quiet -o "$work/ref.csv" $inputs; then
      echo "not ok - $c $extra: unmasked run failed"
      fail=1
      continue
    fi
    for mask in "${masks[@]}"; do
      rm -f "$work/masked.csv"
      # shellcheck disable=SC2086
      GLIBC_TUNABLES=$mask "$simcon" matrix $c $extra --quiet \
        -o "$work/masked.csv" $inputs
      if cmp -s "$work/ref.csv" "$work/masked.csv"; then
        echo "ok - $c $extra: $mask byte-identical"
      else
        echo "not ok - $c $extra: $mask differs"
        diff "$work/ref.csv" "$work/masked.csv" | head -4
        fail=1
      fi
    done
  done
done
echo "# $count matrices, each compared under ${#masks[@]} masks"
exit $fail
