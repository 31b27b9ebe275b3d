"""simcon from Python: representational similarity of numpy arrays, and the
consistency of similarity across datasets, as pandas DataFrames.

Pure Python over the C library (``libsimcon.so.1``, through ctypes): the
numbers are the command line's, bit for bit. Functions:

========================  ====================================================
:func:`compare`           similarity of two representations (one number)
:func:`matrix`            all pairs of several representations (DataFrame)
:func:`mantel`            Mantel permutation test of two similarity matrices
:func:`check`             validate an experiment spec and its inputs
:func:`run`               the whole analysis of a spec into a folder
:func:`load`              every result table of a folder as DataFrames
:func:`save_features`     write an array into the spec's folder layout
========================  ====================================================

Five lines from an array to a consistency table (``spec.yaml`` names the
models and datasets whose features ``save_features`` wrote)::

    import simcon
    simcon.save_features(activations, "features", "flowers", "resnet50")
    simcon.run("spec.yaml", "results/demo")
    tables = simcon.load("results/demo")
    tables["consistency"]

Errors raise :class:`SimconError` subclasses (:class:`SpecError`,
:class:`InputError`, :class:`MetricError`) or ``MemoryError``, carrying
simcon's one-line message; Ctrl-C during :func:`run` or :func:`matrix`
cancels the computation cleanly and raises ``KeyboardInterrupt``.
"""
import ctypes
import os
import signal
import sys
import threading
from collections import namedtuple

import numpy as np

from . import _lib
from ._lib import InputError, MetricError, SimconError, SpecError
from ._io import load, save_features

__all__ = ["compare", "matrix", "mantel", "check", "run", "load",
           "save_features", "SimconError", "SpecError", "InputError",
           "MetricError", "MantelResult", "library_version"]

MantelResult = namedtuple("MantelResult", ["r", "p"])
MantelResult.__doc__ = "Mantel test result: correlation r and its p-value."

#: Defaults of ``simcon mantel`` (its seed is the digits of arXiv 2411.05561).
MANTEL_PERMS = 9999
MANTEL_SEED = 241105561


def library_version():
    """The simcon release of the loaded library.

    >>> isinstance(simcon.library_version(), str)
    True
    """
    return _lib.lib().simcon_version().decode()


# ## Arrays

def _array(x, what, flatten=False):
    """(simcon_array, the ndarray kept alive while C reads it).

    float32 and float64 arrays are passed as they are (data pointer and
    strides, no copy); any other dtype is converted to float64 first.
    flatten: N-D -> n x prod(rest), row-major (a view when C-contiguous)."""
    a = np.asarray(x)
    if flatten and a.ndim > 2:
        a = a.reshape(a.shape[0], -1)
    if a.dtype not in (np.float32, np.float64) or not a.dtype.isnative:
        a = a.astype(np.float64)
    if a.ndim != 2:
        hint = ("reshape(-1, 1) if each stimulus has one unit"
                if a.ndim == 1 else
                "pass flatten=True to flatten each stimulus in row-major "
                "order (X.reshape(len(X), -1))")
        raise MetricError(f"{what} has shape {a.shape}: expected a 2-D "
                          f"array (stimuli x units); {hint}", _lib.SC_EINVAL)
    arr = _lib.Array(a.ctypes.data,
                     _lib.FLOAT32 if a.dtype == np.float32 else _lib.FLOAT64,
                     a.shape[0], a.shape[1], a.strides[0], a.strides[1])
    return arr, a


def _norm(normalize):
    try:
        return _lib.NORMS[normalize]
    except KeyError:
        raise MetricError(f"unknown normalisation {normalize!r}; use none, "
                          "center or l2", _lib.SC_EINVAL) from None


def _param_text(key, value):
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, float):
        value = repr(value)
    return f"{key}={value}".encode()


class _Metric:
    """An open metric handle (context manager)."""

    def __init__(self, metric, params, plugin_dir):
        L = _lib.lib()
        err = ctypes.c_void_p()
        reg = ctypes.c_void_p()
        _lib.check(L.simcon_registry_open(
            plugin_dir.encode() if plugin_dir else None, ctypes.byref(reg),
            ctypes.byref(err)), err)
        texts = [_param_text(k, v) for k, v in params.items()]
        arr = (ctypes.c_char_p * max(1, len(texts)))(*texts)
        self.handle = ctypes.c_void_p()
        try:
            _lib.check(L.simcon_metric_open(
                reg, metric.encode(), arr, len(texts),
                ctypes.byref(self.handle), ctypes.byref(err)), err)
        finally:
            L.simcon_registry_close(reg)

    def __enter__(self):
        return self.handle

    def __exit__(self, *exc):
        _lib.lib().simcon_metric_close(self.handle)


# ## Progress and cancellation

class _Progress:
    """A one-line progress bar on stderr (a terminal or a Jupyter cell:
    both redraw on carriage return), plus Ctrl-C turned into a clean
    cancellation of the C computation."""

    WIDTH = 30

    def __init__(self, show):
        stream = sys.stderr
        interactive = hasattr(stream, "isatty") and stream.isatty()
        self.show = bool(show) and (interactive or "ipykernel" in sys.modules)
        self.stream = stream
        self.stage = None
        self.shown = -1
        self.canceled = False
        self._lock = threading.Lock()
        self.callbacks = _lib.Callbacks(_lib.PROGRESS_FN(self._progress),
                                        _lib.CANCEL_FN(self._cancel), None)
        self._old = None

    def _progress(self, user, stage, done, total):
        if not self.show or total == 0:
            return
        stage = stage.decode() if stage else ""
        permille = done * 1000 // total
        if stage == self.stage and permille == self.shown and done != total:
            return
        if stage != self.stage and self.stage is not None and self.shown < 1000:
            self.stream.write("\n")
        self.stage, self.shown = stage, permille
        fill = done * self.WIDTH // total
        bar = "#" * fill + "." * (self.WIDTH - fill)
        self.stream.write(f"\rsimcon: {stage:<24.24} [{bar}] {done}/{total}")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()

    def _cancel(self, user):
        return 1 if self.canceled else 0

    def _on_sigint(self, signum, frame):
        self.canceled = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
        if self.show and self.stage is not None and self.shown < 1000:
            self.stream.write("\n")


# ## The functions

def compare(X, Y, metric="cka", normalize="l2", flatten=False,
            plugin_dir=None, **params):
    """Similarity of two representations of the same stimuli.

    X and Y are n x d arrays (rows: the same n stimuli in the same order;
    the widths may differ). float32 and float64 arrays are handed to the
    library without a copy (other dtypes are converted to float64 once);
    it reads C-ordered float64 in place with ``normalize="none"`` and
    otherwise makes one normalised float64 copy, as the CLI does.
    ``metric`` names a plugin (``simcon plugins`` lists them) and
    ``params`` its parameters; ``normalize`` is ``"l2"`` (every row to unit
    length, the paper's preprocessing and the default of every simcon
    command), ``"center"`` or ``"none"``. ``flatten=True`` takes N-D activations (n x c x h x w)
    as n x (c*h*w), row-major, like ``--flatten``. Returns exactly what
    ``simcon compare -m METRIC -p k=v --normalize NORM X.npy Y.npy``
    prints.

    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 10))
    >>> simcon.compare(X, X)                       # CKA of X with itself
    1.0
    >>> round(simcon.compare(X, 3 * X), 12)        # scale invariant
    1.0
    >>> round(simcon.compare(X, X + 5, normalize="none"), 12)  # shift too
    1.0
    >>> round(simcon.compare(X, X, metric="cka", kernel="rbf", sigma=0.4), 12)
    1.0
    >>> simcon.compare(X, X[:40])
    Traceback (most recent call last):
    ...
    simcon._lib.MetricError: X has 50 rows but Y has 40; rows must be the same stimuli in the same order
    """
    x, xa = _array(X, "X", flatten)
    y, ya = _array(Y, "Y", flatten)
    mode = _norm(normalize)
    L = _lib.lib()
    value = ctypes.c_double()
    err = ctypes.c_void_p()
    with _Metric(metric, params, plugin_dir) as m:
        rc = L.simcon_compare(m, mode, ctypes.byref(x), ctypes.byref(y),
                              ctypes.byref(value), ctypes.byref(err))
    del xa, ya
    _lib.check(rc, err)
    return value.value


def _parse_bytes(memory):
    if memory is None:
        return 0
    if isinstance(memory, (int, np.integer)):
        return int(memory)
    text = str(memory).strip()
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    if text and text[-1].upper() in scale:
        return int(float(text[:-1]) * scale[text[-1].upper()])
    return int(text)


def matrix(reps, metric="cka", names=None, normalize="l2", threads=1,
           memory=None, float32=False, flatten=False, progress=False,
           plugin_dir=None, **params):
    """All-pairs similarity matrix of several representations of one
    stimulus set, as a labelled ``pandas.DataFrame``.

    ``reps`` is a list of n x d_i arrays (or a dict name -> array, whose
    keys become the labels); ``names`` labels a list (default "0", "1",
    ...). Computed like ``simcon matrix``: each representation prepared
    once, embedding metrics (CKA, RSA) get all pairs from one blocked
    product, within ``memory`` bytes (an int or "8G"; default half the
    RAM). ``float32=True`` halves the memory of the stacked states;
    ``flatten=True`` takes N-D activations row-major, as in :func:`compare`.

    >>> rng = np.random.default_rng(1)
    >>> X = rng.standard_normal((40, 6))
    >>> S = simcon.matrix({"a": X, "b": 2 * X, "c": X[:, ::-1]})
    >>> S.round(12)
         a    b    c
    a  1.0  1.0  1.0
    b  1.0  1.0  1.0
    c  1.0  1.0  1.0
    """
    import pandas as pd
    if isinstance(reps, dict):
        if names is None:
            names = list(reps.keys())
        reps = list(reps.values())
    reps = list(reps)
    if names is None:
        names = [str(i) for i in range(len(reps))]
    names = [str(n) for n in names]
    if len(names) != len(reps):
        raise MetricError(f"{len(names)} names for {len(reps)} "
                          "representations", _lib.SC_EINVAL)
    if len(set(names)) != len(names):
        raise MetricError("names are not unique", _lib.SC_EINVAL)
    if not reps:
        raise MetricError("no representations", _lib.SC_EINVAL)
    arrays, keep = [], []
    for i, r in enumerate(reps):
        a, kept = _array(r, f"representation {i} ({names[i]})", flatten)
        arrays.append(a)
        keep.append(kept)
    m = len(arrays)
    c_reps = (_lib.Array * m)(*arrays)
    out = np.empty((m, m), dtype=np.float64)
    opts = _lib.MatrixOpts(max(1, int(threads)), _parse_bytes(memory), None,
                           1 if float32 else 0)
    mode = _norm(normalize)
    L = _lib.lib()
    err = ctypes.c_void_p()
    with _Metric(metric, params, plugin_dir) as h, _Progress(progress) as pr:
        rc = L.simcon_matrix(h, mode, c_reps, m, ctypes.byref(opts),
                             ctypes.byref(pr.callbacks),
                             out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
                             ctypes.byref(err))
    del keep
    _lib.check(rc, err)
    return pd.DataFrame(out, index=names, columns=names)


def _square(S, what):
    a = np.ascontiguousarray(np.asarray(S, dtype=np.float64))
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise MetricError(f"{what} has shape {a.shape}: expected a square "
                          "similarity matrix", _lib.SC_EINVAL)
    return a


def mantel(A, B, perms=MANTEL_PERMS, seed=MANTEL_SEED, method="pearson",
           alternative="greater", exact=False):
    """Mantel test: correlation of two m x m similarity matrices over all
    model pairs i < j, with a permutation p-value (model labels permuted
    jointly in rows and columns of B). Same defaults, seed rule and result
    as ``simcon mantel A.csv B.csv``. DataFrames are matched by label (B is
    reordered to A's order); plain arrays must share the model order.
    ``method``: pearson or spearman; ``alternative``: greater, less or
    two-sided; ``exact`` enumerates all m! relabellings (m <= 8).

    Identical matrices: r = 1, and of the 4! = 24 relabellings only the
    identity reaches it, so the exact p is 1/24:

    >>> S = np.array([[1, .9, .1, .3], [.9, 1, .2, .4],
    ...               [.1, .2, 1, .8], [.3, .4, .8, 1]])
    >>> r, p = simcon.mantel(S, S, exact=True)
    >>> round(r, 12), p == 1 / 24
    (1.0, True)
    """
    import pandas as pd
    if isinstance(A, pd.DataFrame) and isinstance(B, pd.DataFrame):
        a_names = [str(x) for x in A.index]
        b_names = [str(x) for x in B.index]
        missing = [n for n in a_names if n not in b_names]
        extra = [n for n in b_names if n not in a_names]
        if missing or extra or len(a_names) != len(b_names):
            raise MetricError(
                "the two matrices list different models (only in A: "
                f"{missing}; only in B: {extra})", _lib.SC_EINVAL)
        B = B.copy()
        B.index = b_names
        B.columns = [str(x) for x in B.columns]
        B = B.loc[a_names, a_names]
    a = _square(A, "A")
    b = _square(B, "B")
    if a.shape != b.shape:
        raise MetricError(f"A is {a.shape[0]} x {a.shape[0]} but B is "
                          f"{b.shape[0]} x {b.shape[0]}", _lib.SC_EINVAL)
    opts = _lib.MantelOpts(int(perms), int(seed), method.encode(),
                           alternative.encode(), 1 if exact else 0)
    r, p = ctypes.c_double(), ctypes.c_double()
    err = ctypes.c_void_p()
    D = ctypes.POINTER(ctypes.c_double)
    rc = _lib.lib().simcon_mantel(a.ctypes.data_as(D), b.ctypes.data_as(D),
                                  a.shape[0], ctypes.byref(opts),
                                  ctypes.byref(r), ctypes.byref(p),
                                  ctypes.byref(err))
    _lib.check(rc, err)
    return MantelResult(r.value, p.value)


def _registry(plugin_dir):
    L = _lib.lib()
    reg, err = ctypes.c_void_p(), ctypes.c_void_p()
    _lib.check(L.simcon_registry_open(
        plugin_dir.encode() if plugin_dir else None, ctypes.byref(reg),
        ctypes.byref(err)), err)
    return reg


def check(spec, plugin_dir=None, quick=False, flatten=False):
    """Validate an experiment spec and every input it names, like ``simcon
    check SPEC``; returns what it prints, one line each: its warnings, the
    forecast of the run's statistics ("stats: ...") and last the ok line.
    Raises :class:`SpecError` (the spec, naming file:line:col) or
    :class:`InputError` (every missing or inconsistent input, one per
    line). ``quick`` reads .npy headers only; ``flatten`` acts as
    ``data.flatten: true``.

    >>> simcon.check(ZOO_SPEC).splitlines()[-1]
    'ok: 20 models x 4 datasets x 3 metrics, n = 300 stimuli'
    """
    L = _lib.lib()
    reg = _registry(plugin_dir)
    summary, err = ctypes.c_void_p(), ctypes.c_void_p()
    try:
        flags = (_lib.CHECK_QUICK if quick else 0) | \
            (_lib.CHECK_FLATTEN if flatten else 0)
        rc = L.simcon_check(reg, os.fspath(spec).encode(), flags,
                            ctypes.byref(summary), ctypes.byref(err))
    finally:
        L.simcon_registry_close(reg)
    text = _lib.take_string(summary)
    _lib.check(rc, err)
    return text


def run(spec, out=None, threads=None, memory=None, resume=False,
        progress=True, flatten=False, plugin_dir=None):
    """Run every analysis of a spec into the folder ``out`` (default
    ``results/<name>``), like ``simcon run SPEC -o OUT``, and return the
    folder's path. Inputs are checked first; outputs are staged and moved
    into place only when everything succeeded, so a failure (or Ctrl-C,
    which cancels and raises ``KeyboardInterrupt``) leaves no partial
    folder and never touches a previous one. ``progress`` draws a bar on
    stderr in a terminal or a Jupyter notebook. ``threads`` and ``memory``
    (bytes or "8G") override the spec's runtime section (the tables do not
    depend on them); ``flatten`` acts as ``data.flatten: true``.

    >>> out = simcon.run(ZOO_SPEC, TMP + "/zoo", threads=2, progress=False)
    >>> sorted(simcon.load(out)["consistency"].columns)[:3]
    ['B', 'ci_hi', 'ci_lo']
    """
    L = _lib.lib()
    out = os.fspath(out) if out is not None else _default_out(spec)
    opts = _lib.RunOpts(out.encode() if out else None,
                        int(threads) if threads else 0, _parse_bytes(memory),
                        1 if resume else 0, 1, 1 if flatten else 0)
    reg = _registry(plugin_dir)
    err = ctypes.c_void_p()
    try:
        with _Progress(progress) as pr:
            rc = L.simcon_run(reg, os.fspath(spec).encode(), ctypes.byref(opts),
                              ctypes.byref(pr.callbacks), ctypes.byref(err))
    finally:
        L.simcon_registry_close(reg)
    _lib.check(rc, err)
    return out


def _default_out(spec):
    """results/<name> as the runner derives it (name: the spec's top-level
    key; the C side validates it, this only mirrors the default)."""
    import re
    with open(spec, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"name:\s*[\"']?([A-Za-z0-9_.-]+)", line)
            if m:
                return os.path.join("results", m.group(1))
    raise SpecError(f"{os.fspath(spec)}: no top-level 'name:'; add one or "
                    "pass out=", _lib.SC_ESPEC)
