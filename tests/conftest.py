"""Settings for the whole test run."""

from hypothesis import settings

# No per-example deadline: a compiled kernel is built (or loaded from numba's cache) the first
# time it is called, which takes seconds in whichever test calls it first, and the machines the
# tests run on are shared. Speed is measured by benchmarks/, not by the tests.
settings.register_profile("wiretrace", deadline=None)
settings.load_profile("wiretrace")
