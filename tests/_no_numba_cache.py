"""A Numba cache locator that never finds a place (as when no folder is writable): for tests/test_kernels.py."""


class NoCacheLocator:
    @classmethod
    def from_function(cls, py_func, py_file):  # noqa: ANN001, ANN206
        return None
