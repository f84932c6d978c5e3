// The CUDA C that minicnn's kernels use, for a host C++ compiler: the built-in indices, the
// barrier, __shared__ memory, atomics and the device math functions. host_compiler.py
// compiles each kernels/cuda/*.cu with this header and appends one entry point per kernel,
// which block_runner.cpp calls once per emulated thread (see there for how blocks run).
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "thread_context.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __restrict__ __restrict
// one copy per OS thread, so per running block; the fibers of a block share it
#define __shared__ static thread_local

// read-only, as in CUDA
#define threadIdx (static_cast<const uint3&>(::minicnn_emulator::this_thread()->thread_index))
#define blockIdx (static_cast<const uint3&>(::minicnn_emulator::this_thread()->block_index))
#define blockDim (static_cast<const dim3&>(::minicnn_emulator::this_thread()->block_dim))
#define gridDim (static_cast<const dim3&>(::minicnn_emulator::this_thread()->grid_dim))
constexpr int warpSize = 32;

// The barrier: the calling thread waits until every live thread of its block reaches one.
inline void __syncthreads() {
    ::minicnn_emulator::ThreadContext* context = ::minicnn_emulator::this_thread();
    context->barrier(context);
}

template <typename T> inline T atomicAdd(T* address, T value) {
    return std::atomic_ref<T>(*address).fetch_add(value);
}

template <typename T> inline T atomicMax(T* address, T value) {
    std::atomic_ref<T> target(*address);
    T old = target.load();
    while (old < value && !target.compare_exchange_weak(old, value)) {}
    return old;
}

inline float __int_as_float(int bits) { float f; std::memcpy(&f, &bits, 4); return f; }
inline int __float_as_int(float f) { int bits; std::memcpy(&bits, &f, 4); return bits; }
inline double __longlong_as_double(long long bits) { double d; std::memcpy(&d, &bits, 8); return d; }
inline long long __double_as_longlong(double d) { long long bits; std::memcpy(&bits, &d, 8); return bits; }

inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __frcp_rn(float x) { return 1.0f / x; }
template <typename T> inline T __ldg(const T* p) { return *p; }

// CUDA's overloaded min/max: integers compare, floating values follow fmin/fmax (a NaN
// operand yields the other one)
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline float min(float a, float b) { return std::fmin(a, b); }
inline float max(float a, float b) { return std::fmax(a, b); }
inline double min(double a, double b) { return std::fmin(a, b); }
inline double max(double a, double b) { return std::fmax(a, b); }
