"""The 12 claims of the paper (docs/paper.md §7) in one table: each :class:`Claim` row holds our own wording of what
the paper says, the result kinds that measure it (data.kinds), the verdict rule in words (its thresholds are the
named constants the rule applies) and the function that decides it; :func:`evaluate` applies a row's rule to the
result index and never raises for a bad result file."""

from __future__ import annotations

from tradeoff.data.kinds import Kind, missing_keys

from .. import verdicts as V
from ..result_index import ResultIndex
from .deep import evaluate_claim5, evaluate_claim6, evaluate_claim7, evaluate_claim8
from .exact import (
    CLOSED_FORM_TOL,
    ETA_SQRT_D_MIN,
    SVM_ACC_TOL,
    SVM_WEAK_TOL,
    TIGHT_GAP_TOL,
    TOPK_DROP_MIN,
    TRANSFER_MIN,
    evaluate_claim1,
    evaluate_claim2,
    evaluate_claim3,
    evaluate_claim4,
    evaluate_claim9,
)
from .outcome import NOT_RUN, VERDICTS, Claim, Outcome
from .pictures import evaluate_claim10, evaluate_claim11, evaluate_claim12
from .sweeps import TRAINING_FAILURE_RULE, full_sizes_text

CLAIMS: tuple[Claim, ...] = (
    Claim(1, "Averaging classifier: accurate but not robust",
          "On D(d, p, η) the classifier sign(Σ weak features) has standard accuracy Φ(η√d) and ℓ∞ robust accuracy "
          "Φ(−η√d) at ε = 2η: above 99% and below 1% as soon as η√d ≥ 3.",
          (Kind.THEORY_AVERAGING,),
          f"Confirmed when, for every setting stored, both closed forms lie inside their Monte Carlo intervals "
          f"(widened to a familywise 95% level over all settings, Bonferroni), "
          f"equal Φ(η√d) and Φ((η−ε)√d) (ℓ2: Φ(η√d − ε)) within {CLOSED_FORM_TOL:g}, and, where "
          f"η√d ≥ {ETA_SQRT_D_MIN:g} and ε ≥ 2η (ℓ2: 2η√d), standard > 0.99 and robust < 0.01. Not run when no "
          "setting has Monte Carlo intervals.",
          ("theory_averaging",), evaluate_claim1),
    Claim(2, "Theorem 1: robustness costs accuracy",
          "Any classifier with standard accuracy at least 1 − δ has ℓ∞ robust accuracy at most p/(1−p)·δ for "
          "ε ≥ 2η; the bound is attained at δ = 1 − p.",
          (Kind.THEORY_BOUND, Kind.THEORY_FRONTIER),
          f"Confirmed when every evaluated classifier has robust ≤ p/(1−p)·(1 − standard) (for Monte Carlo "
          f"estimates: the lower end of the robust interval ≤ p/(1−p)·(1 − lower end of the standard interval), i.e. "
          f"the data do not contradict the bound) and its stored `holds` flag agrees, the gap at "
          f"δ = 1 − p is within {TIGHT_GAP_TOL:g}, and, when the frontier file exists, exact frontier ≤ Theorem 1 "
          "line and best linear rule ≤ exact frontier at every δ.",
          ("theory_frontier",), evaluate_claim2),
    Claim(3, "Theorem 2: adversarial training changes the solution",
          "The population soft-margin SVM is over 99% accurate but under 1% robust at ε ≥ 2η; its adversarially "
          "trained version puts zero weight on the weak features and has standard = robust accuracy = p; Lemmas "
          "D.1–D.5 hold; logistic loss shows the same pattern.",
          (Kind.THEORY_SVM,),
          f"Confirmed when the standard SVM has standard > 0.99 and robust < 0.01, the adversarial SVM has standard "
          f"and robust accuracy within {SVM_ACC_TOL:g} of p and weak-feature weight norm ≤ "
          f"{SVM_WEAK_TOL:g}·max(1, ‖w‖₂), all five lemmas hold and the logistic pattern holds; 'not run' if the "
          "logistic part is missing.",
          ("theory_svm",), evaluate_claim3),
    Claim(4, "The weak-feature perturbation transfers",
          "Moving every weak feature by −2ηy fools standard classifiers trained independently of each other.",
          (Kind.THEORY_TRANSFER,),
          f"Confirmed when at least 2 models were trained and, for every model, the lower end of the 95% interval of "
          f"the fraction of its test points fooled is ≥ {TRANSFER_MIN:g}: one shift, computed without looking at any "
          f"model, flips most points of each.",
          ("theory_transfer",), evaluate_claim4),
    Claim(5, "Few samples: adversarial training helps standard accuracy",
          "With few training samples, adversarially trained models reach higher standard accuracy than standard "
          "training (clearly on MNIST).",
          (Kind.DEEP_SWEEP,),
          "Test, fixed before the data (docs/statistics.md): at the smallest training-set size of each (dataset, "
          "norm) configuration, each adversarially trained model (m values of ε_train > 0) against the standard "
          "model, effect = its mean standard accuracy minus the standard model's, paired t by seed when the runs "
          "share seeds (else Welch; a single run: the test set alone), plus the test-set binomial bound, interval "
          f"at level 1 − α/m with α = {V.ALPHA:g} (Bonferroni: the claim is that *some* ε_train helps, so picking "
          "the best "
          "one must not inflate α). A configuration is confirmed when some ε_train is confirmed, refuted when every "
          "one is refuted, else inconclusive (with the best ε_train's minimum detectable effect); a smallest size "
          "that is the full training set is not 'few samples' and gives inconclusive. Scope: the paper "
          "states the gain as clear only on MNIST, so every MNIST configuration run (ℓ∞, Fig. 6; ℓ2, Fig. 1) "
          "must hold: one refuted refutes, all confirmed confirm, else inconclusive. Other datasets are shown per "
          "configuration but not judged; without an MNIST sweep the claim is not run. The theory analogue on D is "
          "shown, not used." + TRAINING_FAILURE_RULE,
          ("fig1", "fig6", "theory_finite_sample"), evaluate_claim5),
    Claim(6, "Full data: robust models are less accurate",
          "With enough training data, robust models' standard accuracy falls below the standard model's: the curves "
          "cross as the training set grows.",
          (Kind.DEEP_SWEEP,),
          "Test, fixed before the data (docs/statistics.md): at the largest training-set size of each (dataset, "
          "norm) configuration, effect = the standard model's mean standard accuracy minus that of each ε_train > "
          "0, paired t by seed when the runs share seeds (else Welch), plus the test-set binomial bound, 95% "
          "interval. A configuration is confirmed when the largest ε_train's drop is confirmed and no smaller "
          "ε_train is refuted (significantly above the standard model), refuted when any of these is refuted, else "
          "inconclusive (with the largest ε_train's minimum detectable effect). 'Full data' means the dataset's "
          f"full training set ({full_sizes_text()}): a configuration whose largest n is smaller is "
          "inconclusive, whatever its numbers. Every configuration run must hold: one refuted refutes, all "
          "confirmed confirm, else inconclusive." + TRAINING_FAILURE_RULE,
          ("fig1", "fig6", "theory_finite_sample"), evaluate_claim6),
    Claim(7, "Standard accuracy falls as ε_train grows",
          "Standard accuracy decreases steadily as the training ε grows, for ℓ∞ and ℓ2 training, on every dataset.",
          (Kind.DEEP_SWEEP,),
          "Test, fixed before the data (docs/statistics.md): per (dataset, norm) at the largest training-set size "
          "(Fig. 7 rows; else the largest size of the Fig. 1/6 sweeps), with ε_train sorted from 0: the overall drop "
          "(mean standard accuracy at ε = 0 minus at the largest ε) and each consecutive step's drop (at ε_i minus "
          "at ε_i+1), each a difference with a 95% interval, paired t by seed when the runs share seeds (else "
          "Welch; a single run: the test set alone), plus the test-set binomial bound. A configuration is confirmed "
          "when the overall drop is confirmed and no step is refuted (no significant rise), refuted when the "
          "overall drop or any step is refuted, else inconclusive (with the overall drop's minimum detectable "
          "effect). Every configuration run must hold: one refuted refutes, all confirmed confirm, else "
          "inconclusive; a norm that was not run is named." + TRAINING_FAILURE_RULE,
          ("fig7",), evaluate_claim7),
    Claim(8, "The drop persists with half-clean batches",
          "The fall of standard accuracy with ε_train remains when each batch is 50% clean and 50% adversarial.",
          (Kind.DEEP_SWEEP,),
          "The test of claim 7 on the mixed-batch models (each batch 50% clean, 50% adversarial); ε = 0 is the "
          "standard model from the mixed file, else from the other sweeps at the same training-set size (paired by "
          "seed when the seeds match). Every configuration run must hold: one refuted refutes, all confirmed "
          "confirm, else inconclusive; each configuration's verdict and, when inconclusive, its minimum detectable "
          "effect are printed, so an inconclusive dataset never hides a clear result elsewhere."
          + TRAINING_FAILURE_RULE,
          ("fig7",), evaluate_claim8),
    Claim(9, "Figure 5: robust linear weights use few, robust pixels",
          "On MNIST 5 vs 7, the ℓ∞-robust linear classifier concentrates its weight on a few strongly label-"
          "correlated pixels, while the standard one spreads it; training on the k most correlated pixels trades "
          "robustness for accuracy as k grows.",
          (Kind.LINEAR_FIG5,),
          f"Confirmed when the robust model's top-pixel weight mass exceeds the standard model's, and in the top-k "
          f"curve the robust accuracy falls by at least {TOPK_DROP_MIN:g} from its peak to the largest k while the "
          "standard accuracy does not fall over the same range.",
          ("fig5",), evaluate_claim9),
    Claim(10, "Robust models have interpretable gradients",
          "Loss gradients with respect to the input look like the object for robust models and like noise for "
          "standard ones.",
          (Kind.DEEP_GRADIENTS,),
          "Stated before any data (docs/experiments.md, \"Claim 10\"): per image, the Spearman rank correlation of "
          "|∇ₓL| (summed over channels) with the image's Sobel edge map, minus the same correlation with another "
          "test image's edges (the excess over a shuffled baseline, which a gradient concentrated where digits "
          "usually are gets anyway). Test: for every robust model, robust minus standard AND robust minus the "
          "standard gradient blurred (Gaussian) to the robust gradient's spatial smoothness (lag-1 "
          "autocorrelation), each a paired difference over seeds × images (t interval with Satterthwaite degrees "
          "of freedom, docs/statistics.md); both 95% intervals above 0: confirmed; either below 0: refuted; else "
          "inconclusive (with its minimum detectable effect). Pearson and a signed alignment (towards the nearest "
          "training image of another class) are reported beside it, not judged. Files of an older producer are "
          "listed, not evidence. Every robust model of every dataset must hold.",
          ("fig2", "fig10"), evaluate_claim10),
    Claim(11, "Large-ε examples of robust models look like another class",
          "Large-ε adversarial examples of robust models take on features of another class, and the straight path "
          "from the image to them changes smoothly; standard models' examples look like noise.",
          (Kind.DEEP_LARGE_EPS,),
          "Stated before any data (docs/experiments.md, \"Claim 11\"): the judge that decides is J1, exact 10 "
          "nearest neighbours in pixel space over the whole training set (no learned features the attack could "
          "fool), valid when it calls at most 5% of clean test images another class and at most 5 points more of "
          "random noise of the attack's size. Per dataset and attack norm, the robust model trained in that norm "
          "and the standard model, at every seed, are attacked at the same large ε, chosen on pilot models of "
          "other seeds so that the attack changes the robust model's prediction on ≥ 80% of the images (a row "
          "below that is not run, never evidence). Test: J1's other-class rate, robust minus standard, paired over "
          "seeds × images (t interval, docs/statistics.md); 95% interval above 0: confirmed; below 0: refuted; "
          "else inconclusive. Learned judges (standard and robust models of another seed) are labelled controls "
          "with a transfer gate (a learned judge decides nothing when it calls the standard model's examples "
          "another class more often than J1 by more than 0.10); the interpolation paths are measured with J1 and "
          "reported, not judged. Files of an older producer are listed, not evidence. Every row must hold.",
          ("fig3", "fig4", "fig8", "fig9"), evaluate_claim11),
    Claim(12, "No gradient masking",
          "Robust accuracies are not artefacts of masked gradients: input gradients are non-zero, the model is "
          "deterministic, unbounded attacks reach 0% accuracy, more APGD steps or restarts never raise robust "
          "accuracy, and a black-box Square attack does not beat the white-box APGD ensemble.",
          (Kind.DEEP_SANITY,),
          "Confirmed when every sanity check of every run (latest file per run) passed; refuted if any failed. "
          "Files of synthetic demo runs (dataset toy) are listed but not used.",
          (), evaluate_claim12),
)


def evaluate(claim: Claim, index: ResultIndex) -> Outcome:
    """Apply ``claim``'s rule; a result file with missing or malformed payload keys gives 'not run' with the reason
    (a preferred file lacking a payload key its kind requires, data.kinds, is named before the rule runs), and a
    verdict other than 'not run' without any number is turned into 'not run'."""
    lacking = _lacking_keys(claim, index)
    if lacking is not None:
        path, keys = lacking
        return Outcome(NOT_RUN, "unreadable result", [f"Could not evaluate from {path}: missing payload key "
                                                      f"{', '.join(repr(k) for k in keys)}. Fix or rerun the "
                                                      "producing command."])
    try:
        out = claim.evaluate(index)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, ZeroDivisionError) as e:
        what = f"missing payload key {e}" if isinstance(e, KeyError) else str(e)
        files = sorted({r.path for k in claim.kinds for r in index.all(k)})
        return Outcome(NOT_RUN, "unreadable result", [f"Could not evaluate from {', '.join(files) or 'the results'}: "
                                                      f"{what}. Fix or rerun the producing command."])
    by_path = {r.path: r for k in claim.kinds + (Kind.THEORY_FINITE_SAMPLE,) for r in index.all(k)}
    for e in out.evidence:
        missing = getattr(by_path.get(e.path), "payload", {}).get("missing")
        if isinstance(missing, list) and missing:
            out.measured.append(f"`{e.path}` lists {len(missing)} unfinished run(s) (e.g. `{missing[0]}`); its "
                                "numbers cover the finished runs only.")
    text = out.summary + " ".join(out.measured)
    if out.verdict != NOT_RUN and not any(ch.isdigit() for ch in text):
        out.verdict = NOT_RUN
        out.measured.append("No number was measured, so no verdict is given.")
    if out.verdict not in VERDICTS:
        raise AssertionError(f"claim {claim.number}: bad verdict {out.verdict!r}")
    return out


def _lacking_keys(claim: Claim, index: ResultIndex) -> tuple[str, list[str]] | None:
    """(path, keys) of the first preferred file among ``claim``'s kinds that lacks a required payload key
    (data.kinds.missing_keys), else None."""
    for kind in claim.kinds:
        r = index.best(kind)
        keys = missing_keys(kind, r.payload) if r is not None else []
        if keys:
            return r.path, keys
    return None
