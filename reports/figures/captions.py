"""The captions of the report's figures, in our words, saying what each PNG draws (not what the paper's figure had).

``PAPER_FIGURES[n]`` is paper Figure n; a file ``fig<n>_<dataset>.png`` shows one dataset, so no caption names
datasets. ``PANELS`` are Figure 5's panels; ``THEORY_FIGURES`` the figures of the theory of D(d, p, η);
``OVERVIEW`` the per-dataset overview (:func:`reports.figures.overview.draw_overview`).
"""

from __future__ import annotations

PAPER_FIGURES = {
    1: "Standard (left) and ℓ2-robust (right) test accuracy against the training-set size, one curve per ℓ2 "
       "training radius ε_train (0 = standard training)",
    2: "Loss gradient with respect to the input pixels for the standard, the ℓ∞-trained and the ℓ2-trained model, "
       "on the first test images",
    3: "Large-ε adversarial examples: each model attacked in its own training norm (the standard model in ℓ2); "
       "under each image the class the attacked model predicts and its probability",
    4: "Straight-line path from a test image (t = 0) to the model's large-ε adversarial example (t = 1), with the "
       "model's probability of the final class along the path",
    5: "Binary MNIST linear classifiers: (a) weights, (b) correlation vs weight, (c) top-k training",
    6: "Standard (left) and ℓ∞-robust (right) test accuracy against the training-set size, one curve per ℓ∞ "
       "training radius ε_train (0 = standard training)",
    7: "Standard test accuracy against the training radius ε_train, ℓ∞ and ℓ2 adversarial training on the full "
       "training set, with the 50/50 clean/adversarial batches of Appendix B where they were run",
    8: "Large-ε ℓ∞ adversarial examples, the same ε for every model; under each image the class the attacked "
       "model predicts and its probability",
    9: "Large-ε ℓ2 adversarial examples, the same ε for every model; under each image the class the attacked "
       "model predicts and its probability",
    10: "Loss gradient with respect to the input pixels, as Figure 2, on further test images (not those of "
        "Figure 2)",
}
PANELS = {
    "5a": "weights of the standard and of the adversarially trained linear classifier",
    "5b": "each pixel's correlation with the label against its weight, per classifier",
    "5c": "standard and robust accuracy of standard classifiers trained on the k most correlated pixels",
}
THEORY_FIGURES = {
    "theory_averaging": "Averaging classifier sign(Σ x_i) on D: robust accuracy against the adversary's radius for "
                        "several η√d (closed form, with Monte Carlo checks)",
    "theory_frontier": "Theorem 1's bound, the exact trade-off frontier of D and the best linear rules",
    "theory_finite_sample": "Linear rules learned from n samples of D: standard and robust accuracy against n, one "
                            "curve per training radius ε_train",
    "theory_svm": "Theorem 2: standard vs adversarial population SVM",
    "theory_transfer": "Transfer of the weak-feature perturbation across standard classifiers",
    "theory_gaussian_model": "Schmidt et al.'s Gaussian model: standard and robust error of the learned linear rule "
                             "against the number of training samples n",
}
OVERVIEW = ("Standard against robust test accuracy of every trained model of the dataset (one panel per attack "
            "norm), beside the trade-off frontier of the theory's distribution D(d, p, η)")
