"""scikit-learn's own estimator checks on the standard and adversarial linear classifiers."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from tradeoff.linear.estimators import AdversarialLogisticClassifier, LogisticLinearClassifier


@parametrize_with_checks(
    [
        LogisticLinearClassifier(),
        AdversarialLogisticClassifier(eps=0.1, norm="inf"),
        AdversarialLogisticClassifier(eps=0.1, norm="2"),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
