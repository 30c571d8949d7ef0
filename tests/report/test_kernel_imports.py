"""What the report's kernel imports before the report runs (sroi.report.kernel.WARM_UP).

The kernel's imports are on the report's critical path: nothing it does not use itself may
be among them. Figures are drawn and the honest-DiD bounds computed by the worker processes
(sroi.report.workers), which import matplotlib and scipy.optimize when they start; the
normal, t, chi-squared and F probabilities come from scipy.special (sroi._distributions).
"""

from __future__ import annotations

import json
import subprocess
import sys

from sroi.report.kernel import WARM_UP

HEAVY = ("matplotlib", "scipy.optimize", "scipy.stats", "statsmodels", "linearmodels")


def test_the_kernel_warm_up_imports_nothing_heavy_it_does_not_use():
    code = (
        "import json, sys\n"
        + "".join(f"import {m}\n" for m in WARM_UP)
        + f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []


def test_the_solvers_are_imported_when_first_used():
    code = (
        "import sys\n"
        "from sroi import _optimize as optimize\n"
        "assert 'scipy.optimize' not in sys.modules\n"
        "root = optimize.brentq(lambda x: x * x - 2.0, 0.0, 2.0, xtol=1e-14)\n"
        "assert 'scipy.optimize' in sys.modules\n"
        "print(repr(root))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert abs(float(out) - 2.0**0.5) < 1e-13
