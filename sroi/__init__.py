"""sroi: impact evaluation and social return on investment for children's programmes.

Did it work?  ``sroi.match``, ``sroi.did``, ``sroi.event_study``, ``sroi.staggered_did``.
Was it worth it?  ``sroi.value.run``, ``sroi.value.simulate``.
Report it.  ``sroi.report.run`` or the ``sroi`` command.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sroi.errors import SroiInputError, SroiWarning

if TYPE_CHECKING:
    from sroi.effect import Effect

__version__ = "0.1.0"

__all__ = [
    "Effect",
    "SroiInputError",
    "SroiWarning",
    "Spec",
    "datasets",
    "match",
    "did",
    "event_study",
    "staggered_did",
    "value",
    "report",
    "__version__",
]

# Heavier pieces are imported on first use, so ``import sroi`` stays fast (no NumPy: the
# ``sroi`` command starts its notebook kernel before loading it) and a finance officer
# valuing an assumed effect never loads the impact code.
_LAZY = {
    "Effect": ("sroi.effect", "Effect"),
    "Spec": ("sroi.spec", "Spec"),
    "match": ("sroi.impact.matching", "match"),
    "did": ("sroi.impact.did", "did"),
    "event_study": ("sroi.impact.did", "event_study"),
    "staggered_did": ("sroi.impact.staggered", "staggered_did"),
    "datasets": ("sroi.datasets", None),
    "value": ("sroi.value", None),
    "report": ("sroi.report", None),
    "impact": ("sroi.impact", None),
    "data": ("sroi.data", None),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module_name, attr = _LAZY[name]
        module = importlib.import_module(module_name)
        obj = module if attr is None else getattr(module, attr)
        globals()[name] = obj
        return obj
    raise AttributeError(f"module 'sroi' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
