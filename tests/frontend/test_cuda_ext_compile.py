"""The training extension's kernels compile with nvcc (no GPU needed), and its host-side helpers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lgcc.backends.cuda.build import gencode_flags, nvcc_path, run_nvcc
from lgcc.frontend import cuda_ext
from lgcc.ir.errors import LgccError
from lgcc.ir.gates import ANF


def test_kernels_compile_for_sm80_and_sm90(tmp_path):
    if nvcc_path() is None:
        pytest.skip("nvcc not found: the CUDA kernels were not compile-checked")
    csrc = cuda_ext._CSRC
    run_nvcc(["-c", "-Xcompiler", "-Wall", *gencode_flags(["80", "90"]), str(csrc / "logic_layer.cu"),
              "-I", str(csrc), "-o", str(tmp_path / "logic_layer.o")], tmp_path)
    assert (tmp_path / "logic_layer.o").stat().st_size > 0


def test_packed_anf_matches_gate_table():
    assert np.array_equal(cuda_ext.anf_table(), ANF)
    assert cuda_ext._signed64(cuda_ext.ANF_PACKED) & ((1 << 64) - 1) == cuda_ext.ANF_PACKED


def test_reverse_index_lists_every_reader_in_order():
    g = torch.Generator().manual_seed(0)
    in_dim, out_dim = 13, 40
    a = torch.randint(0, in_dim, (out_dim,), generator=g)
    b = torch.randint(0, in_dim, (out_dim,), generator=g)
    ptr, ref = cuda_ext.reverse_index(a, b, in_dim)
    assert ptr[0] == 0 and ptr[-1] == 2 * out_dim
    for i in range(in_dim):
        readers = ref[ptr[i]:ptr[i + 1]].tolist()
        expect = sorted([2 * j for j in range(out_dim) if a[j] == i] + [2 * j + 1 for j in range(out_dim) if b[j] == i],
                        key=lambda r: (r & 1, r >> 1))
        assert readers == expect


def test_unavailable_gives_a_clear_reason():
    if cuda_ext.available():
        pytest.skip("the extension is available here")
    assert cuda_ext.reason()
    with pytest.raises(LgccError, match="unavailable"):
        cuda_ext.load()
    with pytest.raises(LgccError, match="CUDA tensors"):
        cuda_ext.logic_layer_cuda(torch.zeros(2, 3), torch.zeros(1, dtype=torch.int64),
                                  torch.zeros(1, dtype=torch.int64), torch.zeros(1, 4))
