// Launch API of lgcc's training kernels for LogicLayer (plain CUDA C++, no torch headers).
//
// The relaxed gate of neuron j on inputs a = x[., a_idx[j]], b = x[., b_idx[j]] is linear in
// the probabilities of the four input cases (00, 01, 10, 11):
//     y = c0 (1-a)(1-b) + c1 (1-a) b + c2 a (1-b) + c3 a b,   coeffs[j] = softmax(w_j) @ TRUTH
// so the kernels only see 4 coefficients per neuron; the chain rule to the 16 gate weights
// (softmax backward of dcoeffs @ TRUTH^T) stays in torch.
//
// Layouts: x, y are row-major [batch, dim]; coeffs [out, 4]; packed words are [dim, n_words]
// (row-major, bit j of word w is sample 64 w + j).  Every launcher returns the
// cudaError_t of its launch (cudaSuccess == 0).
#pragma once
#include <cstdint>
#ifdef LGCC_FAKE_CUDA
#include "lgcc_fake_cuda.h"  // CPU stand-in for the CUDA runtime (lgcc's tests without a GPU)
#else
#include <cuda_runtime.h>
#endif

namespace lgcc_train {

// y[b, j] for all b < batch, j < out_dim.
template <typename T>
cudaError_t forward(const T* x, int64_t batch, int64_t in_dim, const int64_t* a_idx,
                    const int64_t* b_idx, const T* coeffs, int64_t out_dim, T* y,
                    cudaStream_t stream);

// dcoeffs[j, c] = sum_b dy[b, j] * P(case c) (deterministic: one thread per neuron).
template <typename T>
cudaError_t backward_coeffs(const T* x, const T* dy, int64_t batch, int64_t in_dim,
                            const int64_t* a_idx, const int64_t* b_idx, int64_t out_dim,
                            T* dcoeffs, cudaStream_t stream);

// dx[b, i] = sum over the reads of input i (reverse index: rev_ptr[in_dim + 1], rev_ref[2 out]
// holding 2 j + port, port 0 = operand a, 1 = operand b) of dy[b, j] * d y / d operand.
// Gathering by the reverse index keeps the sum order fixed, so results are deterministic.
template <typename T>
cudaError_t backward_x(const T* x, const T* dy, int64_t batch, int64_t in_dim,
                       const int64_t* a_idx, const int64_t* b_idx, const T* coeffs,
                       int64_t out_dim, const int64_t* rev_ptr, const int64_t* rev_ref, T* dx,
                       cudaStream_t stream);

// Discrete layer on packed bits: out[j, w] = gate ops[j] of (words[a_idx[j], w], words[b_idx[j], w]).
// anf_packed holds the algebraic normal form of the 16 gates (lgcc.ir.gates.ANF), 4 bits per
// gate: bit 4 g + k is ANF[g, k].
cudaError_t eval_packed(const uint64_t* words, int64_t in_dim, int64_t n_words,
                        const int64_t* a_idx, const int64_t* b_idx, const uint8_t* ops,
                        int64_t out_dim, uint64_t anf_packed, uint64_t* out, cudaStream_t stream);

// GroupSum on packed bits: scores[s, c] = popcount of outputs [c*m/k, (c+1)*m/k) of sample s.
cudaError_t group_sum_packed(const uint64_t* words, int64_t n_out, int64_t n_words, int64_t k,
                             int64_t n_samples, int32_t* scores, cudaStream_t stream);

// Rows of 0/1 bytes [n_samples, dim] -> packed words [dim, ceil(n_samples / 64)].
cudaError_t pack_rows(const uint8_t* rows, int64_t n_samples, int64_t dim, uint64_t* words,
                      cudaStream_t stream);

}  // namespace lgcc_train
