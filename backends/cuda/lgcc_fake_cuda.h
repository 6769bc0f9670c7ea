/* CPU stand-in for the parts of the CUDA runtime that lgcc's generated model.cu uses.
 *
 * For tests on machines without a GPU only: compiling model.cu as C++ with -DLGCC_FAKE_CUDA
 * runs its kernels here.  Blocks run one after another; threads of a kernel launched with
 * LAUNCH_SYNC are real threads meeting at a barrier in __syncthreads(), the others run
 * sequentially.  Dynamic shared memory is a per-block buffer filled with garbage (0xA5) so
 * reads of unwritten values show up.  "Device" pointers are host pointers.
 */
#ifndef LGCC_FAKE_CUDA_H
#define LGCC_FAKE_CUDA_H

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
#include <functional>
#include <thread>
#include <vector>
#endif

typedef int cudaError_t;
typedef struct lgcc_fake_stream* cudaStream_t;
enum { cudaSuccess = 0, cudaErrorInvalidValue = 1, cudaErrorMemoryAllocation = 2 };
enum cudaDeviceAttr {
  cudaDevAttrMultiProcessorCount = 16,
  cudaDevAttrMaxSharedMemoryPerMultiprocessor = 81,
  cudaDevAttrMaxSharedMemoryPerBlockOptin = 97
};
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
enum cudaMemcpyKind { cudaMemcpyHostToDevice = 1 };

#ifdef __cplusplus
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(n)

struct uint3 { unsigned x, y, z; };
struct dim3 { unsigned x, y, z; };

namespace lgcc_fake {
/* Shared memory of an H100 (bytes) and a small multiprocessor count, so grids stay small;
 * two "devices" (one memory) so a call can be seen to give back the caller's current device. */
constexpr int kOptin = 227 * 1024, kPerSm = 228 * 1024, kSms = 2, kDevices = 2;
inline thread_local int current_device = 0;
struct Ctx {
  unsigned char* shared = nullptr;
  pthread_barrier_t* barrier = nullptr;
};
inline thread_local Ctx ctx;
}  // namespace lgcc_fake

inline thread_local uint3 threadIdx, blockIdx;
inline thread_local dim3 blockDim, gridDim;

namespace lgcc_fake {
inline void* shared_memory() { return ctx.shared; }

struct Block {
  unsigned b, grid, block;
  unsigned char* shared;
  const std::function<void()>* body;
};

inline void run_thread(const Block* blk, unsigned t, pthread_barrier_t* bar) {
  threadIdx = {t, 0, 0};
  blockIdx = {blk->b, 0, 0};
  blockDim = {blk->block, 1, 1};
  gridDim = {blk->grid, 1, 1};
  ctx.shared = blk->shared;
  ctx.barrier = bar;
  (*blk->body)();
}

/* Run `body` as a grid of blocks; `sync`: real threads so __syncthreads() can meet. */
inline void launch(unsigned grid, unsigned block, size_t smem, bool sync, const std::function<void()>& body) {
  std::vector<unsigned char> shared(smem ? smem : 1);
  for (unsigned b = 0; b < grid; ++b) {
    memset(shared.data(), 0xA5, shared.size());
    const Block blk{b, grid, block, shared.data(), &body};
    if (!sync) {
      for (unsigned t = 0; t < block; ++t) run_thread(&blk, t, nullptr);
      continue;
    }
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, nullptr, block);
    std::vector<std::thread> threads;
    threads.reserve(block);
    for (unsigned t = 0; t < block; ++t) threads.emplace_back(run_thread, &blk, t, &bar);
    for (auto& th : threads) th.join();
    pthread_barrier_destroy(&bar);
  }
}
}  // namespace lgcc_fake

inline void __syncthreads() {
  if (!lgcc_fake::ctx.barrier) abort(); /* __syncthreads in a kernel launched without LAUNCH_SYNC */
  pthread_barrier_wait(lgcc_fake::ctx.barrier);
}

inline cudaError_t cudaSetDevice(int device) {
  if (device < 0 || device >= lgcc_fake::kDevices) return cudaErrorInvalidValue;
  lgcc_fake::current_device = device;
  return cudaSuccess;
}
inline cudaError_t cudaGetDevice(int* device) { *device = lgcc_fake::current_device; return cudaSuccess; }
/* The calling thread's current device, for tests (emitted even unused; inline, so two models link). */
extern "C" __attribute__((used)) inline int lgcc_fake_get_device(void) { return lgcc_fake::current_device; }
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline const char* cudaGetErrorString(cudaError_t) { return "fake CUDA error"; }
inline cudaError_t cudaMalloc(void** p, size_t n) {
  *p = malloc(n ? n : 1);
  return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
inline cudaError_t cudaFree(void* p) { free(p); return cudaSuccess; }
inline cudaError_t cudaMemcpy(void* dst, const void* src, size_t n, cudaMemcpyKind) {
  memcpy(dst, src, n);
  return cudaSuccess;
}
inline cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int) {
  *value = attr == cudaDevAttrMultiProcessorCount ? lgcc_fake::kSms
           : attr == cudaDevAttrMaxSharedMemoryPerMultiprocessor ? lgcc_fake::kPerSm : lgcc_fake::kOptin;
  return cudaSuccess;
}
inline cudaError_t cudaFuncSetAttribute(const void*, cudaFuncAttribute, int value) {
  return value <= lgcc_fake::kOptin ? cudaSuccess : cudaErrorInvalidValue;
}
/* Shared memory decides here (the stand-in has no registers): at most 2048 threads per SM. */
inline cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, const void*, int threads,
                                                                 size_t smem) {
  const int by_smem = smem ? (int)(lgcc_fake::kPerSm / smem) : 2048 / threads;
  *blocks = by_smem < 2048 / threads ? by_smem : 2048 / threads;
  return cudaSuccess;
}
#endif /* __cplusplus */
#endif /* LGCC_FAKE_CUDA_H */
