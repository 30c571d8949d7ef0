"""The unit-cost library: published unit costs and appraisal values shipped with the package.

* :func:`load_library` -- every line of the Unit Cost Database v1.2 (New Economy, 2013) and
  the HM Treasury WELLBY and DHSC / NICE QALY values, with their sources;
* :mod:`.build` -- the script that builds the shipped tables from the published files
  (``python -m sroi.value.library.build``);
* :mod:`.mapping` -- how the database's fields map to the model's (documented rules).

Users select library lines by id (the database's cost code, e.g. ``E&S2.0.1``) in the spec's
``costs`` lists or in the ``library`` column of their own cost table.
"""

from __future__ import annotations

from sroi.value.library.tables import LIBRARY_COLUMNS, library_metadata, load_library

__all__ = ["LIBRARY_COLUMNS", "library_metadata", "load_library"]
