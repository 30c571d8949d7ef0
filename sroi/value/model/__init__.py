"""The value model: effects x cohort x unit costs -> discounted value streams.

Method (Social Value UK, *A Guide to Social Return on Investment*, 2012; HM Treasury, *The Green
Book*, 2022; HM Treasury / New Economy, *Supporting public service transformation: cost benefit
analysis guidance for local partnerships* (the Greater Manchester CBA model), 2014).

For one valued line (an outcome ``o`` costed with one unit-cost row ``r``) the value to the whole
cohort in appraisal year ``t`` is::

    V_t = e_o * sign_o * q_o * c_r * (1 - g_r) * (1 - s_o) * (1 - a_o)
          * sum_s n_s * sum_k p_o(k) * K_r(k, t - s)

* ``e_o``: the effect (per participant per period) and ``sign_o`` = +1 when the outcome is
  desired to increase, -1 when desired to decrease, so fewer referrals is a positive benefit and
  a programme that raises referrals shows a cost;
* ``q_o``: events per participant per year per unit of effect (``terms_per_year`` for a per-term
  binary or count outcome, times ``quantity_per_unit``, e.g. 190 school days a year per 1.0 of
  attendance rate);
* ``c_r``: unit cost in base-year prices (GDP deflator ratio), ``g_r``: benefit reduction of the
  row's confidence grade (Greater Manchester optimism bias), ``s``/``a``: displacement and
  attribution;
* a row marked ``transfer`` (e.g. a benefit payment) counts in the fiscal figures of its agency
  but not in public value (HM Treasury Green Book, 2022: transfers are not social value);
* ``n_s``: participants starting in appraisal year ``s``;
* ``p_o(k)``: persistence profile in participant year ``k`` (0-based):
  ``w(k) * [k >= L] * (1 - d) * (1 - delta)^max(0, k - L - max(m, 1) + 1)`` with lag ``L``,
  observed years ``m``, deadweight ``d`` (zero in every year for an effect estimated against a
  comparison group: it is already net of deadweight), drop-off ``delta`` and benefit-period
  weight
  ``w(k) = clip(B - k, 0, 1)`` (``B`` = benefit years, capped at the remaining years in school);
* ``K_r(k, j)``: share of the cost of an event in participant year ``k`` that falls in year ``j``:
  the identity for ``one_off`` rows, ``clip(D - (j - k), 0, 1)`` for ``per_annum`` rows lasting
  ``D`` years (``D = B_school - k`` for ``remaining``).

Present values use Green Book discount factors (:func:`sroi.value.prices.discount_factors`), the
health schedule only for rows measured in QALYs or WELLBYs. Appraisal year ``t`` runs
``0 .. appraisal_years - 1``; flows beyond are truncated.

Modules: :mod:`.inputs` (what the model needs), :mod:`.context` (prices, discounting, cohort),
:mod:`.kernels` (the array formula), :mod:`.lines` (valued lines, persistence, benefit periods),
:mod:`.observed` / :mod:`.assumed` (one part per effect, assumed effect or conversion step),
:mod:`.delivery` (programme costs), :mod:`.rules` (double counting), :mod:`.register`
(assumptions register), :mod:`.compile` (the compiler) and :mod:`.compiled` (the compiled
model, evaluated for many parameter sets at once).
"""

from __future__ import annotations

from sroi.value.model.compile import compile_model
from sroi.value.model.compiled import CompiledModel, Group, Line
from sroi.value.model.inputs import ValuationInputs, inputs_from_spec, normalise_effects

__all__ = [
    "CompiledModel",
    "Group",
    "Line",
    "ValuationInputs",
    "compile_model",
    "inputs_from_spec",
    "normalise_effects",
]
