"""ctypes bindings of libsimcon.so (include/simcon/simcon.h).

Nothing here is public: the functions of :mod:`simcon` wrap it. The
library is found, in this order, at ``$SIMCON_LIBRARY`` (a path to
``libsimcon.so.1``), through the dynamic loader (``libsimcon.so.1`` on the
system library path or ``LD_LIBRARY_PATH``, e.g. after ``cmake --install``),
and in the ``build/`` folder of the source tree this package sits in (so
``PYTHONPATH=python`` works straight from a build).
"""
import ctypes
import os
import threading

API_VERSION = 1  # SC_API_VERSION of the header these bindings follow

SC_OK = 0
SC_EINVAL = 1
SC_EDOM = 2
SC_ENOMEM = 3
SC_EIO = 4
SC_ESPEC = 5
SC_EABI = 6
SC_ENUMERIC = 7
SC_EBLAS = 8
SC_ECANCELED = 9

CHECK_QUICK = 1
CHECK_FLATTEN = 2

FLOAT32 = 1
FLOAT64 = 2
NORMS = {"none": 0, "center": 1, "l2": 2}


class SimconError(Exception):
    """An error reported by simcon: ``str(e)`` is simcon's one-line message
    (several lines for :func:`simcon.check`, one per problem) and
    ``e.status`` its status code (``e.status_name``, e.g. ``SC_EIO``)."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status
        self.status_name = _STATUS_NAMES.get(status, "unknown")


class SpecError(SimconError, ValueError):
    """The experiment spec is invalid (SC_ESPEC)."""


class InputError(SimconError, OSError):
    """An input file is missing, unreadable or inconsistent (SC_EIO)."""


class MetricError(SimconError, ValueError):
    """Bad argument, or data outside the metric's domain (SC_EINVAL,
    SC_EDOM, SC_ENUMERIC)."""


_STATUS_NAMES = {
    SC_EINVAL: "SC_EINVAL", SC_EDOM: "SC_EDOM", SC_ENOMEM: "SC_ENOMEM",
    SC_EIO: "SC_EIO", SC_ESPEC: "SC_ESPEC", SC_EABI: "SC_EABI",
    SC_ENUMERIC: "SC_ENUMERIC", SC_EBLAS: "SC_EBLAS",
    SC_ECANCELED: "SC_ECANCELED",
}


def error_for(status, message):
    """The exception for a failed call (not raised here)."""
    if status == SC_ENOMEM:
        return MemoryError(message)
    if status == SC_ESPEC:
        return SpecError(message, status)
    if status == SC_EIO:
        return InputError(message, status)
    if status in (SC_EINVAL, SC_EDOM, SC_ENUMERIC):
        return MetricError(message, status)
    return SimconError(message, status)


class Array(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int),
                ("rows", ctypes.c_size_t), ("cols", ctypes.c_size_t),
                ("row_stride", ctypes.c_ssize_t),
                ("col_stride", ctypes.c_ssize_t)]


PROGRESS_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p,
                               ctypes.c_size_t, ctypes.c_size_t)
CANCEL_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)


class Callbacks(ctypes.Structure):
    _fields_ = [("progress", PROGRESS_FN), ("cancel", CANCEL_FN),
                ("user", ctypes.c_void_p)]


class MatrixOpts(ctypes.Structure):
    _fields_ = [("threads", ctypes.c_uint), ("memory_budget", ctypes.c_size_t),
                ("spill_dir", ctypes.c_char_p), ("float32", ctypes.c_int)]


class MantelOpts(ctypes.Structure):
    _fields_ = [("perms", ctypes.c_size_t), ("seed", ctypes.c_uint64),
                ("method", ctypes.c_char_p), ("alternative", ctypes.c_char_p),
                ("exact", ctypes.c_int)]


class RunOpts(ctypes.Structure):
    _fields_ = [("out_dir", ctypes.c_char_p), ("threads", ctypes.c_uint),
                ("memory_budget", ctypes.c_size_t), ("resume", ctypes.c_int),
                ("quiet", ctypes.c_int), ("flatten", ctypes.c_int)]


_lock = threading.Lock()
_lib = None


def _candidates():
    env = os.environ.get("SIMCON_LIBRARY")
    if env:
        yield env
        return
    yield "libsimcon.so.1"
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    for build in ("build", "build-release"):
        yield os.path.join(repo, build, "libsimcon.so.1")


def _declare(lib):
    P, S, I = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int
    E = ctypes.POINTER(ctypes.c_void_p)  # char **errmsg, freed by us
    D = ctypes.POINTER(ctypes.c_double)
    C = ctypes.c_char_p
    sig = {
        "simcon_api_version": (I, []),
        "simcon_version": (C, []),
        "simcon_free": (None, [P]),
        "simcon_registry_open": (I, [C, ctypes.POINTER(P), E]),
        "simcon_registry_close": (None, [P]),
        "simcon_registry_list": (I, [P, E, E]),
        "simcon_metric_open": (I, [P, C, ctypes.POINTER(C), S,
                                   ctypes.POINTER(P), E]),
        "simcon_metric_close": (None, [P]),
        "simcon_metric_describe": (I, [P, E, E, E]),
        "simcon_metric_symmetric": (I, [P]),
        "simcon_compare": (I, [P, I, ctypes.POINTER(Array),
                               ctypes.POINTER(Array), D, E]),
        "simcon_matrix": (I, [P, I, ctypes.POINTER(Array), S,
                              ctypes.POINTER(MatrixOpts),
                              ctypes.POINTER(Callbacks), D, E]),
        "simcon_mantel_defaults": (None, [ctypes.POINTER(MantelOpts)]),
        "simcon_mantel": (I, [D, D, S, ctypes.POINTER(MantelOpts), D, D, E]),
        "simcon_check": (I, [P, C, ctypes.c_uint, E, E]),
        "simcon_run": (I, [P, C, ctypes.POINTER(RunOpts),
                           ctypes.POINTER(Callbacks), E]),
    }
    for name, (res, args) in sig.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args


def lib():
    """The loaded library (loaded once; raises ImportError with what to do)."""
    global _lib
    with _lock:
        if _lib is not None:
            return _lib
        tried = []
        for path in _candidates():
            if os.sep in path and not os.path.exists(path):
                tried.append(path + " (no such file)")
                continue
            try:
                handle = ctypes.CDLL(path)
            except OSError as e:
                tried.append(f"{path} ({e})")
                continue
            _declare(handle)
            version = handle.simcon_api_version()
            if version != API_VERSION:
                raise ImportError(
                    f"{path} implements simcon API {version}, this package "
                    f"needs {API_VERSION}; install matching versions")
            _lib = handle
            return _lib
        raise ImportError(
            "libsimcon.so.1 not found (tried: " + "; ".join(tried) + "); "
            "build simcon (cmake --build build) or install it (cmake "
            "--install build), or set SIMCON_LIBRARY=/path/to/libsimcon.so.1")


def take_string(ptr):
    """Copy a string simcon returned (char * in a c_void_p) and free it."""
    if not ptr.value:
        return None
    text = ctypes.string_at(ptr.value).decode("utf-8", "replace")
    lib().simcon_free(ptr.value)
    return text


def check(status, errmsg):
    """Raise the exception for status, with simcon's message, unless SC_OK."""
    message = take_string(errmsg)
    if status == SC_OK:
        return
    if status == SC_ECANCELED:
        raise KeyboardInterrupt(message or "canceled")
    raise error_for(status, message or f"simcon failed with status {status}")
