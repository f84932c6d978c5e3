// The CUDA C that minicnn's kernels use, for a host C++ compiler: the built-in indices, one
// block's threads as cooperative fibers (so __shared__ memory and __syncthreads() mean what
// they mean on a GPU), atomics and the device math functions. raw_module.py compiles each
// kernels/cuda/*.cu with this header and appends one launcher per kernel.
//
// A block runs on one OS thread. Where the source never calls __syncthreads(), its threads
// run one after another as plain calls; otherwise every thread is a fiber, and a barrier
// ends the fiber's turn: the block runs in rounds, each fiber from one barrier to the next,
// so no thread passes a barrier before every live thread of its block has reached it.
#pragma once

#include <atomic>
#include <cmath>
#include <csetjmp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <ucontext.h>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __restrict__ __restrict
// one copy per OS thread, so per running block; the fibers of a block share it
#define __shared__ static thread_local

struct uint3 { unsigned x, y, z; };
struct dim3 { unsigned x, y, z; };

namespace minicnn_emulator {

inline thread_local uint3 thread_index{0, 0, 0};
inline thread_local uint3 block_index{0, 0, 0};
inline thread_local dim3 block_dim{1, 1, 1};
inline thread_local dim3 grid_dim{1, 1, 1};

constexpr std::size_t FIBER_STACK_BYTES = 256 * 1024;

struct Fiber {
    jmp_buf resume_point;      // where the fiber continues: a barrier, or its idle loop
    ucontext_t first_entry;    // used once, to start the fiber on its own stack
    std::vector<char> stack;
    bool started = false;
    bool finished = false;
};

inline thread_local jmp_buf scheduler;
inline thread_local Fiber* running = nullptr;
inline thread_local const std::function<void()>* thread_body = nullptr;
inline thread_local std::vector<Fiber*> fibers;

// A fiber's life: run the thread body, park, and run it again when the next block reuses it.
inline void fiber_main() {
    for (;;) {
        (*thread_body)();
        running->finished = true;
        if (!_setjmp(running->resume_point)) _longjmp(scheduler, 1);
    }
}

// Run `fiber` until it reaches a barrier or finishes its thread.
__attribute__((noinline)) inline void resume(Fiber* fiber) {
    running = fiber;
    if (_setjmp(scheduler)) return;
    if (fiber->started) _longjmp(fiber->resume_point, 1);
    fiber->started = true;
    fiber->stack.resize(FIBER_STACK_BYTES);
    getcontext(&fiber->first_entry);
    fiber->first_entry.uc_stack.ss_sp = fiber->stack.data();
    fiber->first_entry.uc_stack.ss_size = fiber->stack.size();
    fiber->first_entry.uc_link = nullptr;
    makecontext(&fiber->first_entry, fiber_main, 0);
    ucontext_t unused;                          // fiber_main leaves through `scheduler`
    swapcontext(&unused, &fiber->first_entry);
}

inline void set_thread_index(unsigned t) {
    thread_index = {t % block_dim.x, t / block_dim.x % block_dim.y,
                    t / (block_dim.x * block_dim.y)};
}

inline void run_block(unsigned threads, bool cooperative, const std::function<void()>& body) {
    if (!cooperative) {
        running = nullptr;
        for (unsigned t = 0; t < threads; ++t) {
            set_thread_index(t);
            body();
        }
        return;
    }
    thread_body = &body;
    while (fibers.size() < threads) fibers.push_back(new Fiber());
    for (unsigned t = 0; t < threads; ++t) fibers[t]->finished = false;
    for (bool live = true; live;) {             // one round: every live thread to its next barrier
        live = false;
        for (unsigned t = 0; t < threads; ++t) {
            if (fibers[t]->finished) continue;
            set_thread_index(t);
            resume(fibers[t]);
            live = live || !fibers[t]->finished;
        }
    }
    running = nullptr;
}

// Run `body` once per thread of a (grid, block) launch; dims = {gx, gy, gz, bx, by, bz}.
inline void launch(const long long* dims, bool cooperative, const std::function<void()>& body) {
    grid_dim = {(unsigned)dims[0], (unsigned)dims[1], (unsigned)dims[2]};
    block_dim = {(unsigned)dims[3], (unsigned)dims[4], (unsigned)dims[5]};
    unsigned threads = block_dim.x * block_dim.y * block_dim.z;
    for (unsigned z = 0; z < grid_dim.z; ++z)
        for (unsigned y = 0; y < grid_dim.y; ++y)
            for (unsigned x = 0; x < grid_dim.x; ++x) {
                block_index = {x, y, z};
                run_block(threads, cooperative, body);
            }
}

}  // namespace minicnn_emulator

#define threadIdx (::minicnn_emulator::thread_index)
#define blockIdx (::minicnn_emulator::block_index)
#define blockDim (::minicnn_emulator::block_dim)
#define gridDim (::minicnn_emulator::grid_dim)
constexpr int warpSize = 32;

// The barrier: the running fiber's turn ends; it continues in the block's next round.
__attribute__((noinline)) inline void __syncthreads() {
    using namespace minicnn_emulator;
    if (running == nullptr) std::abort();      // a barrier in a source launched without fibers
    if (!_setjmp(running->resume_point)) _longjmp(scheduler, 1);
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
