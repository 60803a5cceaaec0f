"""Re-runs of the empirical protocols of Section 4 of the DANTE paper (Sinha et al., 2020).

One script per protocol (``python -m experiments.<name> [--quick|--full]``):

* :mod:`experiments.fig2_leaky_relu` -- Figure 2, leaky ReLU + MSE, DANTE vs SGD.
* :mod:`experiments.fig5_sigmoid` -- Figure 5, sigmoid + MSE.
* :mod:`experiments.fig6_cross_entropy` -- Figure 6, cross-entropy loss.
* :mod:`experiments.fig7_sngd_epochs` -- Figure 7, the SNGD epochs ``T``.
* :mod:`experiments.table1_adaptive` -- Table 1, adaptive learning-rate methods.
* :mod:`experiments.table2_altmin` -- Table 2, SGD as the inner solver of the alternation.
* :mod:`experiments.table3_regression` -- Table 3, regression.
* :mod:`experiments.table4_autoencoder` -- Table 4, autoencoder features + linear SVM, and Figure 9
  (reconstructions).
* :mod:`experiments.theory_vs_practice` -- per-layer kappa estimates and cosines during training
  beside the claimed kappa of the matching theorem (Theorems 3, 5, 7).
* :mod:`experiments.run_all` -- all of the above, then :mod:`experiments.make_results` writes
  ``experiments/RESULTS.md``.

``python -m experiments`` lists the scripts (:mod:`experiments.registry` is the one list, with each
mode's budget) and runs one by name. The shared protocol (learning rate picked per method on a
validation split over two seeds, with the grid extended until the pick is interior; five seeds;
mean +- 95 % confidence interval; JSON through :mod:`slqc.jsonio` + Markdown + PNG) lives in
:mod:`experiments.protocol`. Each script computes its own headlines and verdicts on the paper's
claims (``headlines(data)``, ``verdicts(data)``).
"""
