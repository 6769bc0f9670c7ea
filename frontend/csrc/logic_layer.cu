// Training kernels for LogicLayer; see logic_layer.cuh for the contract of each launcher.
// No torch headers here, so `nvcc -c logic_layer.cu` checks this file on its own; tests
// without a GPU compile it as C++ with -DLGCC_FAKE_CUDA (backends/cuda/lgcc_fake_cuda.h).
#include "logic_layer.cuh"

#ifdef __CUDACC__
#define LAUNCH(kernel, grid, block, stream, ...) kernel<<<(grid), (block), 0, (stream)>>>(__VA_ARGS__)
#else
#define LAUNCH(kernel, grid, block, stream, ...) \
  lgcc_fake::launch((grid), (block), 0, false, [&] { kernel(__VA_ARGS__); })
#endif

namespace lgcc_train {
namespace {

constexpr int kThreads = 256;

// Blocks for a grid-stride loop over n items (capped: the loops cover the rest).
inline unsigned blocks_for(int64_t n) {
  int64_t b = (n + kThreads - 1) / kThreads;
  if (b < 1) b = 1;
  if (b > 65535 * 8) b = 65535 * 8;
  return static_cast<unsigned>(b);
}

// Gate `op` on two words of packed samples, from its algebraic normal form
// g(a,b) = c0 ^ c1 a ^ c2 b ^ c3 a b (coefficients taken from lgcc.ir.gates.ANF).
__device__ __forceinline__ uint64_t eval_anf(uint64_t anf_packed, unsigned op, uint64_t a,
                                             uint64_t b) {
  const unsigned c = static_cast<unsigned>(anf_packed >> (4u * op)) & 15u;
  const uint64_t m0 = 0ull - (c & 1u), m1 = 0ull - ((c >> 1) & 1u);
  const uint64_t m2 = 0ull - ((c >> 2) & 1u), m3 = 0ull - ((c >> 3) & 1u);
  return m0 ^ (a & m1) ^ (b & m2) ^ (a & b & m3);
}

template <typename T>
__global__ void forward_kernel(const T* __restrict__ x, int64_t batch, int64_t in_dim,
                               const int64_t* __restrict__ a_idx,
                               const int64_t* __restrict__ b_idx,
                               const T* __restrict__ coeffs, int64_t out_dim, T* __restrict__ y) {
  const int64_t total = batch * out_dim;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total;
       i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t s = i / out_dim, j = i - s * out_dim;
    const T a = x[s * in_dim + a_idx[j]], b = x[s * in_dim + b_idx[j]];
    const T* c = coeffs + 4 * j;
    const T na = T(1) - a, nb = T(1) - b;
    y[i] = c[0] * na * nb + c[1] * na * b + c[2] * a * nb + c[3] * a * b;
  }
}

template <typename T>
__global__ void backward_coeffs_kernel(const T* __restrict__ x, const T* __restrict__ dy,
                                       int64_t batch, int64_t in_dim,
                                       const int64_t* __restrict__ a_idx,
                                       const int64_t* __restrict__ b_idx, int64_t out_dim,
                                       T* __restrict__ dcoeffs) {
  for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < out_dim;
       j += (int64_t)gridDim.x * blockDim.x) {
    const int64_t ia = a_idx[j], ib = b_idx[j];
    T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int64_t s = 0; s < batch; ++s) {
      const T g = dy[s * out_dim + j];
      const T a = x[s * in_dim + ia], b = x[s * in_dim + ib];
      const T ga = g * a, gna = g - ga;  // g*a, g*(1-a)
      s0 += gna * (T(1) - b);
      s1 += gna * b;
      s2 += ga * (T(1) - b);
      s3 += ga * b;
    }
    T* d = dcoeffs + 4 * j;
    d[0] = s0; d[1] = s1; d[2] = s2; d[3] = s3;
  }
}

template <typename T>
__global__ void backward_x_kernel(const T* __restrict__ x, const T* __restrict__ dy,
                                  int64_t batch, int64_t in_dim,
                                  const int64_t* __restrict__ a_idx,
                                  const int64_t* __restrict__ b_idx,
                                  const T* __restrict__ coeffs, int64_t out_dim,
                                  const int64_t* __restrict__ rev_ptr,
                                  const int64_t* __restrict__ rev_ref, T* __restrict__ dx) {
  const int64_t total = batch * in_dim;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total;
       i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t s = i / in_dim, col = i - s * in_dim;
    const T* xs = x + s * in_dim;
    T acc = 0;
    for (int64_t r = rev_ptr[col]; r < rev_ptr[col + 1]; ++r) {
      const int64_t j = rev_ref[r] >> 1;
      const T* c = coeffs + 4 * j;
      const T g = dy[s * out_dim + j];
      if (rev_ref[r] & 1) {  // this input is operand b of neuron j
        const T a = xs[a_idx[j]];
        acc += g * ((c[1] - c[0]) * (T(1) - a) + (c[3] - c[2]) * a);
      } else {
        const T b = xs[b_idx[j]];
        acc += g * ((c[2] - c[0]) * (T(1) - b) + (c[3] - c[1]) * b);
      }
    }
    dx[i] = acc;
  }
}

__global__ void eval_packed_kernel(const uint64_t* __restrict__ words, int64_t n_words,
                                   const int64_t* __restrict__ a_idx,
                                   const int64_t* __restrict__ b_idx,
                                   const uint8_t* __restrict__ ops, int64_t out_dim,
                                   uint64_t anf_packed, uint64_t* __restrict__ out) {
  const int64_t total = out_dim * n_words;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total;
       i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t j = i / n_words, w = i - j * n_words;
    out[i] = eval_anf(anf_packed, ops[j], words[a_idx[j] * n_words + w],
                      words[b_idx[j] * n_words + w]);
  }
}

__global__ void group_sum_kernel(const uint64_t* __restrict__ words, int64_t n_out,
                                 int64_t n_words, int64_t k, int64_t n_samples,
                                 int32_t* __restrict__ scores) {
  const int64_t per = n_out / k;
  const int64_t total = n_samples * k;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total;
       i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t s = i / k, c = i - s * k;
    const int64_t w = s >> 6;
    const unsigned bit = static_cast<unsigned>(s & 63);
    int32_t cnt = 0;
    for (int64_t o = c * per; o < (c + 1) * per; ++o) cnt += (words[o * n_words + w] >> bit) & 1u;
    scores[i] = cnt;
  }
}

__global__ void pack_rows_kernel(const uint8_t* __restrict__ rows, int64_t n_samples,
                                 int64_t dim, int64_t n_words, uint64_t* __restrict__ words) {
  // Thread (input i, word w) with i fastest: a warp reads 32 neighbouring bytes of one row.
  const int64_t total = dim * n_words;
  for (int64_t t = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; t < total;
       t += (int64_t)gridDim.x * blockDim.x) {
    const int64_t w = t / dim, i = t - w * dim;
    const int64_t s0 = w * 64;
    const int64_t n = (n_samples - s0 < 64) ? n_samples - s0 : 64;
    uint64_t word = 0;
    for (int64_t j = 0; j < n; ++j) word |= (uint64_t)(rows[(s0 + j) * dim + i] != 0) << j;
    words[i * n_words + w] = word;
  }
}

}  // namespace

template <typename T>
cudaError_t forward(const T* x, int64_t batch, int64_t in_dim, const int64_t* a_idx,
                    const int64_t* b_idx, const T* coeffs, int64_t out_dim, T* y,
                    cudaStream_t stream) {
  if (batch * out_dim == 0) return cudaSuccess;
  LAUNCH(forward_kernel<T>, blocks_for(batch * out_dim), kThreads, stream, x, batch, in_dim, a_idx,
         b_idx, coeffs, out_dim, y);
  return cudaGetLastError();
}

template <typename T>
cudaError_t backward_coeffs(const T* x, const T* dy, int64_t batch, int64_t in_dim,
                            const int64_t* a_idx, const int64_t* b_idx, int64_t out_dim,
                            T* dcoeffs, cudaStream_t stream) {
  if (out_dim == 0) return cudaSuccess;
  LAUNCH(backward_coeffs_kernel<T>, blocks_for(out_dim), kThreads, stream, x, dy, batch, in_dim,
         a_idx, b_idx, out_dim, dcoeffs);
  return cudaGetLastError();
}

template <typename T>
cudaError_t backward_x(const T* x, const T* dy, int64_t batch, int64_t in_dim,
                       const int64_t* a_idx, const int64_t* b_idx, const T* coeffs,
                       int64_t out_dim, const int64_t* rev_ptr, const int64_t* rev_ref, T* dx,
                       cudaStream_t stream) {
  if (batch * in_dim == 0) return cudaSuccess;
  LAUNCH(backward_x_kernel<T>, blocks_for(batch * in_dim), kThreads, stream, x, dy, batch, in_dim,
         a_idx, b_idx, coeffs, out_dim, rev_ptr, rev_ref, dx);
  return cudaGetLastError();
}

cudaError_t eval_packed(const uint64_t* words, int64_t in_dim, int64_t n_words,
                        const int64_t* a_idx, const int64_t* b_idx, const uint8_t* ops,
                        int64_t out_dim, uint64_t anf_packed, uint64_t* out, cudaStream_t stream) {
  (void)in_dim;  // indices were checked against in_dim by the caller
  if (out_dim * n_words == 0) return cudaSuccess;
  LAUNCH(eval_packed_kernel, blocks_for(out_dim * n_words), kThreads, stream, words, n_words, a_idx,
         b_idx, ops, out_dim, anf_packed, out);
  return cudaGetLastError();
}

cudaError_t group_sum_packed(const uint64_t* words, int64_t n_out, int64_t n_words, int64_t k,
                             int64_t n_samples, int32_t* scores, cudaStream_t stream) {
  if (n_samples * k == 0) return cudaSuccess;
  LAUNCH(group_sum_kernel, blocks_for(n_samples * k), kThreads, stream, words, n_out, n_words, k,
         n_samples, scores);
  return cudaGetLastError();
}

cudaError_t pack_rows(const uint8_t* rows, int64_t n_samples, int64_t dim, uint64_t* words,
                      cudaStream_t stream) {
  const int64_t n_words = (n_samples + 63) / 64;
  if (dim * n_words == 0) return cudaSuccess;
  LAUNCH(pack_rows_kernel, blocks_for(dim * n_words), kThreads, stream, rows, n_samples, dim,
         n_words, words);
  return cudaGetLastError();
}

#define LGCC_INSTANTIATE(T)                                                                       \
  template cudaError_t forward<T>(const T*, int64_t, int64_t, const int64_t*, const int64_t*,    \
                                  const T*, int64_t, T*, cudaStream_t);                          \
  template cudaError_t backward_coeffs<T>(const T*, const T*, int64_t, int64_t, const int64_t*,  \
                                          const int64_t*, int64_t, T*, cudaStream_t);            \
  template cudaError_t backward_x<T>(const T*, const T*, int64_t, int64_t, const int64_t*,       \
                                     const int64_t*, const T*, int64_t, const int64_t*,          \
                                     const int64_t*, T*, cudaStream_t);
LGCC_INSTANTIATE(float)
LGCC_INSTANTIATE(double)
#undef LGCC_INSTANTIATE

}  // namespace lgcc_train
