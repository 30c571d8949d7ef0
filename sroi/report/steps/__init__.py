"""The steps of an evaluation, one module each; :mod:`sroi.report.pipeline` runs them in order.

* :mod:`.data` -- read and validate the data; programme facts and the cohort table.
* :mod:`.matching` -- the per-cohort matches behind the matched DiD and their balance.
* :mod:`.headline` -- the headline effect: matched (or unmatched) Callaway-Sant'Anna, its
  aggregations and pre-trend test.
* :mod:`.diagnostics` -- event study, TWFE versus Callaway-Sant'Anna, Bacon decomposition,
  honest-DiD bounds.
* :mod:`.outcomes` -- everything estimated for one outcome, and for all of them.
* :mod:`.multiplicity` -- adjusted p-values for the secondary outcomes.
* :mod:`.value` -- valuation and Monte Carlo of the headline effects; the value headline.
* :mod:`.evidence` -- the Maryland SMS rating of the evaluation.
"""
