"""The arrays the picture figures show (Fig. 2-4, 8-10) as a result file, so that figures are drawn from files.

:func:`write_pictures` stores what a picture experiment computed for its first ``n_show`` images
(:class:`deep.experiments.pictures.PicturesResult`) in ``<results>/deep/pictures_<dataset>.npz`` and writes the
result file ``pictures_<dataset>.json`` (kind ``deep.pictures``) that names it and records the models, their training
radii, the attacks' ε and the number of interpolation frames. :func:`read_pictures` gives the same
``PicturesResult`` back from the result file: the interpolation frames, the straight line from each image to its
large-ε example (deep.experiments.interpolation.interpolate), are recomputed from the stored images and examples
instead of being stored (they are most of the bytes), which gives the same float32 values.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from tradeoff.data.io import atomic_write_bytes, read_result, write_result
from tradeoff.data.kinds import Kind
from tradeoff.data.registry import by_label, dataset_info

from .gradients import GradientData
from .interpolation import InterpolationData, interpolate
from .large_eps import LargeEpsData
from .pictures import OWN_NORM, PicturesResult

_SEP = "__"  # key separator inside the .npz (field, model, attack norm)


def _arrays(p: PicturesResult) -> dict[str, np.ndarray]:
    g = p.gradients
    out = {"images": g.images, "labels": g.labels}
    out |= {f"grad{_SEP}{m}": v for m, v in g.grads.items()}
    out |= {f"own{_SEP}{m}": v for m, v in p.own_norm.items()}
    out |= {f"own_pred{_SEP}{m}": v for m, v in p.own_pred.items()}
    out |= {f"own_probs{_SEP}{m}": v for m, v in (p.own_probs or {}).items()}
    for norm, s in p.large_eps.items():
        out[f"attack_images{_SEP}{norm}"] = s.images
        out[f"attack_labels{_SEP}{norm}"] = s.labels
        for field in ("adv", "model_pred", "model_probs"):
            out |= {f"{field}{_SEP}{norm}{_SEP}{m}": v for m, v in getattr(s, field).items()}
    n = len(g.images)
    out |= {f"path_probs{_SEP}{m}": v[:n] for m, v in p.interpolation.probs.items()}
    return {k: np.asarray(v) for k, v in out.items()}


def write_pictures(p: PicturesResult, results_root: str | os.PathLike, scale: str) -> Path:
    """Write ``<results_root>/deep/pictures_<dataset>.npz`` and the ``deep.pictures`` result file beside it;
    return the result file's path."""
    folder = Path(results_root) / "deep"
    arrays = folder / f"pictures_{p.dataset}.npz"
    buf = io.BytesIO()
    np.savez_compressed(buf, **_arrays(p))
    atomic_write_bytes(arrays, buf.getvalue())
    label = dataset_info(p.dataset).label
    payload = {
        "dataset": label, "scale": scale, "arrays": arrays.name, "models": list(p.gradients.grads),
        "trained": {m: [norm, float(eps)] for m, (norm, eps) in (p.trained or {}).items()},
        "attack_eps": {norm: float(s.eps) for norm, s in p.large_eps.items()},
        "own_norm": {m: OWN_NORM[m] for m in p.own_norm if m in OWN_NORM},
        "frames": int(p.interpolation.frames), "n_images": int(len(p.gradients.images)),
        "interpolation_models": list(p.interpolation.strips),
    }
    return write_result(folder / f"pictures_{p.dataset}.json", Kind.DEEP_PICTURES, payload, scale=scale,
                        dataset=label)


def read_pictures(path: str | os.PathLike) -> tuple[dict, PicturesResult]:
    """(payload, the :class:`PicturesResult` it stores) from a ``deep.pictures`` result file and its arrays; a
    ValueError naming the file when the arrays are missing."""
    path = Path(path)
    payload = read_result(path)["payload"]
    arrays = path.parent / str(payload["arrays"])
    if not arrays.is_file():
        raise ValueError(f"{path}: its arrays {arrays.name} are missing; rerun `tradeoff deep reproduce`")
    with np.load(arrays) as z:
        a = {k: z[k] for k in z.files}

    def group(prefix: str) -> dict[str, np.ndarray]:
        head = prefix + _SEP
        return {k[len(head):]: v for k, v in a.items() if k.startswith(head) and _SEP not in k[len(head):]}

    models = list(payload["models"])
    grads = group("grad")
    gradients = GradientData(images=a["images"], labels=a["labels"], grads={m: grads[m] for m in models})
    large_eps = {}
    for norm, eps in payload["attack_eps"].items():
        s = LargeEpsData(norm=norm, eps=float(eps), images=a[f"attack_images{_SEP}{norm}"],
                         labels=a[f"attack_labels{_SEP}{norm}"])
        for field in ("adv", "model_pred", "model_probs"):
            getattr(s, field).update(group(f"{field}{_SEP}{norm}"))
        large_eps[norm] = s
    own = group("own")
    frames = int(payload["frames"])
    interp = InterpolationData(frames=frames)
    probs = group("path_probs")
    for m in payload["interpolation_models"]:
        interp.strips[m] = interpolate(gradients.images, own[m], frames)
        interp.probs[m] = probs[m]
    known = by_label(str(payload["dataset"]))
    pictures = PicturesResult(
        dataset=known.name if known is not None else str(payload["dataset"]),
        gradients=gradients, large_eps=large_eps, own_norm=own, own_pred=group("own_pred"),
        interpolation=interp, own_probs=group("own_probs"),
        trained={m: (str(t[0]), float(t[1])) for m, t in payload.get("trained", {}).items()})
    return payload, pictures
