// Thin torch binding of the LogicLayer CUDA kernels (logic_layer.cu): checks tensors, picks
// the caller's current stream, allocates outputs.  Built by lgcc.frontend.cuda_ext on first use.
#include <torch/extension.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/cuda/CUDAGuard.h>

#include "logic_layer.cuh"

namespace {

void check_cuda(const torch::Tensor& t, const char* name) {
  TORCH_CHECK(t.is_cuda(), name, " must be a CUDA tensor");
  TORCH_CHECK(t.is_contiguous(), name, " must be contiguous");
}

void check_index(const torch::Tensor& t, const char* name, int64_t n) {
  check_cuda(t, name);
  TORCH_CHECK(t.scalar_type() == torch::kInt64 && t.dim() == 1 && t.size(0) == n, name,
              " must be int64 of shape [", n, "]");
}

void check_launch(cudaError_t err, const char* what) {
  TORCH_CHECK(err == cudaSuccess, what, " failed: ", cudaGetErrorString(err));
}

torch::Tensor forward(torch::Tensor x, torch::Tensor a_idx, torch::Tensor b_idx,
                      torch::Tensor coeffs) {
  check_cuda(x, "x");
  check_cuda(coeffs, "coeffs");
  TORCH_CHECK(x.dim() == 2, "x must be [batch, in_dim]");
  const int64_t out_dim = coeffs.size(0);
  TORCH_CHECK(coeffs.dim() == 2 && coeffs.size(1) == 4, "coeffs must be [out_dim, 4]");
  TORCH_CHECK(coeffs.scalar_type() == x.scalar_type(), "coeffs and x must have the same dtype");
  check_index(a_idx, "a_idx", out_dim);
  check_index(b_idx, "b_idx", out_dim);
  const c10::cuda::CUDAGuard guard(x.device());
  auto y = torch::empty({x.size(0), out_dim}, x.options());
  auto stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "lgcc_logic_forward", [&] {
    check_launch(lgcc_train::forward<scalar_t>(x.data_ptr<scalar_t>(), x.size(0), x.size(1),
                                               a_idx.data_ptr<int64_t>(), b_idx.data_ptr<int64_t>(),
                                               coeffs.data_ptr<scalar_t>(), out_dim,
                                               y.data_ptr<scalar_t>(), stream),
                 "logic layer forward");
  });
  return y;
}

std::vector<torch::Tensor> backward(torch::Tensor dy, torch::Tensor x, torch::Tensor a_idx,
                                    torch::Tensor b_idx, torch::Tensor coeffs,
                                    torch::Tensor rev_ptr, torch::Tensor rev_ref,
                                    bool need_x, bool need_coeffs) {
  check_cuda(dy, "grad_output");
  check_cuda(x, "x");
  check_cuda(coeffs, "coeffs");
  const int64_t batch = x.size(0), in_dim = x.size(1), out_dim = coeffs.size(0);
  TORCH_CHECK(dy.dim() == 2 && dy.size(0) == batch && dy.size(1) == out_dim,
              "grad_output must be [batch, out_dim]");
  check_index(a_idx, "a_idx", out_dim);
  check_index(b_idx, "b_idx", out_dim);
  check_index(rev_ptr, "rev_ptr", in_dim + 1);
  check_index(rev_ref, "rev_ref", 2 * out_dim);
  const c10::cuda::CUDAGuard guard(x.device());
  auto stream = c10::cuda::getCurrentCUDAStream();
  torch::Tensor dx, dc;
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "lgcc_logic_backward", [&] {
    if (need_x) {
      dx = torch::empty_like(x);
      check_launch(lgcc_train::backward_x<scalar_t>(
                       x.data_ptr<scalar_t>(), dy.data_ptr<scalar_t>(), batch, in_dim,
                       a_idx.data_ptr<int64_t>(), b_idx.data_ptr<int64_t>(),
                       coeffs.data_ptr<scalar_t>(), out_dim, rev_ptr.data_ptr<int64_t>(),
                       rev_ref.data_ptr<int64_t>(), dx.data_ptr<scalar_t>(), stream),
                   "logic layer backward (inputs)");
    }
    if (need_coeffs) {
      dc = torch::empty_like(coeffs);
      check_launch(lgcc_train::backward_coeffs<scalar_t>(
                       x.data_ptr<scalar_t>(), dy.data_ptr<scalar_t>(), batch, in_dim,
                       a_idx.data_ptr<int64_t>(), b_idx.data_ptr<int64_t>(), out_dim,
                       dc.data_ptr<scalar_t>(), stream),
                   "logic layer backward (coefficients)");
    }
  });
  return {dx, dc};
}

torch::Tensor eval_packed(torch::Tensor words, torch::Tensor a_idx, torch::Tensor b_idx,
                          torch::Tensor ops, int64_t anf_packed) {
  check_cuda(words, "words");
  check_cuda(ops, "ops");
  TORCH_CHECK(words.scalar_type() == torch::kInt64 && words.dim() == 2,
              "words must be int64 [in_dim, n_words]");
  const int64_t out_dim = ops.size(0);
  TORCH_CHECK(ops.scalar_type() == torch::kUInt8 && ops.dim() == 1, "ops must be uint8 [out_dim]");
  check_index(a_idx, "a_idx", out_dim);
  check_index(b_idx, "b_idx", out_dim);
  const c10::cuda::CUDAGuard guard(words.device());
  auto out = torch::empty({out_dim, words.size(1)}, words.options());
  check_launch(lgcc_train::eval_packed(
                   reinterpret_cast<const uint64_t*>(words.data_ptr<int64_t>()), words.size(0),
                   words.size(1), a_idx.data_ptr<int64_t>(), b_idx.data_ptr<int64_t>(),
                   ops.data_ptr<uint8_t>(), out_dim, static_cast<uint64_t>(anf_packed),
                   reinterpret_cast<uint64_t*>(out.data_ptr<int64_t>()),
                   c10::cuda::getCurrentCUDAStream()),
               "packed evaluation");
  return out;
}

torch::Tensor group_sum_packed(torch::Tensor words, int64_t k, int64_t n_samples) {
  check_cuda(words, "words");
  TORCH_CHECK(words.scalar_type() == torch::kInt64 && words.dim() == 2,
              "words must be int64 [n_out, n_words]");
  TORCH_CHECK(k > 0 && words.size(0) % k == 0, "the outputs must split into k equal groups");
  TORCH_CHECK(n_samples >= 0 && n_samples <= 64 * words.size(1), "n_samples exceeds the words");
  const c10::cuda::CUDAGuard guard(words.device());
  auto scores = torch::empty({n_samples, k}, words.options().dtype(torch::kInt32));
  check_launch(lgcc_train::group_sum_packed(
                   reinterpret_cast<const uint64_t*>(words.data_ptr<int64_t>()), words.size(0),
                   words.size(1), k, n_samples, scores.data_ptr<int32_t>(),
                   c10::cuda::getCurrentCUDAStream()),
               "packed group sum");
  return scores;
}

torch::Tensor pack_rows(torch::Tensor rows) {
  check_cuda(rows, "rows");
  TORCH_CHECK(rows.dim() == 2, "rows must be [n_samples, dim]");
  TORCH_CHECK(rows.scalar_type() == torch::kBool || rows.scalar_type() == torch::kUInt8,
              "rows must be bool or uint8");
  const c10::cuda::CUDAGuard guard(rows.device());
  const int64_t n = rows.size(0), dim = rows.size(1);
  auto words = torch::empty({dim, (n + 63) / 64}, rows.options().dtype(torch::kInt64));
  check_launch(lgcc_train::pack_rows(static_cast<const uint8_t*>(rows.data_ptr()), n, dim,
                                     reinterpret_cast<uint64_t*>(words.data_ptr<int64_t>()),
                                     c10::cuda::getCurrentCUDAStream()),
               "row packing");
  return words;
}

}  // namespace

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("forward", &forward, "relaxed logic layer forward");
  m.def("backward", &backward, "relaxed logic layer backward (inputs, coefficients)");
  m.def("eval_packed", &eval_packed, "discrete logic layer on packed bits");
  m.def("group_sum_packed", &group_sum_packed, "GroupSum popcounts on packed bits");
  m.def("pack_rows", &pack_rows, "pack rows of bits into int64 words");
}
