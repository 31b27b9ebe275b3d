"""pytest set-up shared by the tests and the docstring examples (doctest):
the bundled example's paths and a temporary folder, in the doctest
namespace as ZOO_SPEC, ZOO_RESULTS and TMP."""
import os

import numpy as np
import pytest

import simcon

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZOO_SPEC = os.path.join(REPO, "experiments", "zoo.yaml")
ZOO_RESULTS = os.path.join(REPO, "results", "zoo")


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace, tmp_path):
    doctest_namespace.update(np=np, simcon=simcon, ZOO_SPEC=ZOO_SPEC,
                             ZOO_RESULTS=ZOO_RESULTS, TMP=str(tmp_path))
