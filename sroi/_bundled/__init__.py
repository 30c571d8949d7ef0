"""Files shipped with sroi, mapped here from the repository's top-level folders.

``sroi._bundled.evaluations``, ``.data_samples``, ``.templates`` and ``.notebooks`` are the
repository's ``evaluations/``, ``data_samples/``, ``templates/`` and ``notebooks/`` (see
``setup.py``): kept once in the repository, carried inside the wheel, read with
:mod:`importlib.resources` through :mod:`sroi.resources`.
"""
