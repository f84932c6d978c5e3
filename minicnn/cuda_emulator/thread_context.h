// What an emulated CUDA thread knows about itself, and how kernel code finds it: shared by
// cuda_shim.h (compiled into every kernel module) and block_runner.cpp (the one library
// that runs blocks).
//
// Every emulated thread runs on a fiber whose stack lies in a FIBER_BYTES region aligned to
// FIBER_BYTES, with the thread's ThreadContext at a place fixed by the region's address.
// Kernel code finds its context by rounding its own frame address down, so threadIdx and
// friends cost a load, not a lookup of thread-local storage (which a dlopen'ed library pays
// for with a call), and the kernel modules need no symbol of the runner.
#pragma once

#include <cstdint>

struct uint3 { unsigned x, y, z; };
struct dim3 { unsigned x, y, z; };

namespace minicnn_emulator {

constexpr std::uintptr_t FIBER_BYTES = 128 * 1024;  // a power of two
constexpr std::uintptr_t HEADER_BYTES = 2048;       // the runner's header, a ThreadContext first
// Fiber regions are aligned alike, so headers at equal offsets would all fall in the same
// cache sets and evict one another at every switch: each region's header is shifted by a
// cache line per region, over COLOURS lines.
constexpr std::uintptr_t CACHE_LINE = 64;
constexpr std::uintptr_t COLOURS = 256;

// Where the header of the fiber region starting at `region` lies: near the region's end, so
// that the stack, which grows down from it, starts on the header's page.
constexpr std::uintptr_t header_address(std::uintptr_t region) {
    return region + FIBER_BYTES - HEADER_BYTES - region / FIBER_BYTES % COLOURS * CACHE_LINE;
}

struct ThreadContext {
    uint3 thread_index;
    uint3 block_index;
    dim3 block_dim;
    dim3 grid_dim;
    // the block's barrier: the calling thread continues once every live thread of its block
    // has reached a barrier
    void (*barrier)(ThreadContext*);
};

// The context of the emulated thread running the caller (valid on a fiber's stack only).
__attribute__((always_inline)) inline ThreadContext* this_thread() {
    auto frame = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    return reinterpret_cast<ThreadContext*>(header_address(frame & ~(FIBER_BYTES - 1)));
}

// The signature of a module's per-thread entry point: run the kernel's body once, with
// args[i] pointing at the value of its i-th parameter.
using ThreadBody = void (*)(void* const* args);

}  // namespace minicnn_emulator
