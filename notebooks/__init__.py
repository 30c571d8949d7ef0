"""Resource folder, not code: installed as ``sroi._bundled.notebooks`` (see setup.py).

Read it through :mod:`sroi.resources`, which works the same from a source checkout and from
an installed wheel.
"""
