"""Fixtures shared by every test folder."""

from __future__ import annotations

import pytest
from hypothesis import settings

# No per-example deadlines (CI shares 2 cores between 2 workers); print the blob that
# reproduces a failing example.  Failing cases are also kept in .hypothesis/ locally.
settings.register_profile("lgcc", deadline=None, print_blob=True)
settings.load_profile("lgcc")


@pytest.fixture(scope="session")
def trained_graph(tmp_path_factory):
    """A small trained digits model (lgcc.frontend.testing.TrainedModel): ``.model``, ``.checkpoint``,
    ``.graph`` (lowered, with encoding and GroupSum head), ``.features``, ``.bits``, ``.labels``, ``.accuracy``.

    Trained once per test process (a few seconds); skipped where torch or scikit-learn is missing.
    """
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    from lgcc.frontend.testing import tiny_trained_graph

    return tiny_trained_graph(seed=0, directory=tmp_path_factory.mktemp("trained_graph"))
