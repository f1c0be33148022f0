"""Figure 5: standard and exactly l_inf/l_2-adversarially trained linear classifiers on binary MNIST."""
