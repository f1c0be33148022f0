"""The theory of Tsipras et al. (2019) Sections 2-4 computed exactly: the distribution D(d, p, eta), closed-form
accuracies, Theorem 1 and the trade-off frontier, Theorem 2 SVM minimisers, symbolic derivations, Monte Carlo checks."""
