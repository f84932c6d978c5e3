// Runs the blocks of an emulated kernel launch; built once into its own library and called
// by raw_module.py with a module's per-thread entry point.
//
// Blocks are independent, as on a GPU: the launching thread and up to `workers - 1` pool
// threads take them from one counter. On each OS thread a block's threads run as fibers in
// rounds, each fiber from one barrier to the next, so no thread passes a barrier before
// every live thread of its block has reached it; a finished thread leaves the rounds. A
// source without __syncthreads() runs each block on one fiber, its threads one after
// another. __shared__ variables are thread_local (cuda_shim.h), so each OS thread, and so
// each running block, has its own.
//
// A fiber passes control with __builtin_setjmp/__builtin_longjmp, which save and restore
// only what the compiler needs (no signal mask, no unwinding), and at a barrier it passes
// control straight to the next live fiber of the round, so a round of n threads costs
// n + 1 switches. Each fiber's region is FIBER_BYTES, aligned, laid out as: a guard page,
// the stack, and the Fiber header (a ThreadContext first) at header_address, so that a
// switch touches the header and the top of the stack, which share a page.
#include "thread_context.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <pthread.h>
#include <sys/mman.h>
#include <thread>
#include <type_traits>
#include <ucontext.h>
#include <unistd.h>
#include <vector>

namespace minicnn_emulator {
namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "minicnn CUDA emulator: %s\n", what);
    std::abort();
}

struct Launch {
    dim3 grid_dim;
    dim3 block_dim;
    unsigned threads;                 // per block
    bool cooperative;
    ThreadBody body;
    void* const* args;
    unsigned long long blocks;
    std::atomic<unsigned long long> next_block{0};
};

struct Worker;

struct Fiber {
    ThreadContext context;            // first: kernel code finds it at header_address
    void* resume_point[5];            // a __builtin_setjmp buffer: where the fiber goes on
    char* parked_frame;               // the frame it parked in, to prefetch before it goes on
    Worker* worker;
    unsigned thread;                  // the fiber's place in its worker's list
    bool started;
    ucontext_t first_entry;           // used once, to start the fiber on its own stack
};
static_assert(std::is_standard_layout_v<Fiber> && offsetof(Fiber, context) == 0);
static_assert(sizeof(Fiber) <= HEADER_BYTES);

// One OS thread's share of the launches: its fibers, kept for the next block, and the
// round it is running.
struct Worker {
    std::vector<Fiber*> fibers;
    std::vector<unsigned char> finished;    // per fiber, kept apart from the headers
    std::vector<unsigned> round;      // the live fibers of the running block, in thread order
    std::size_t turn = 0;             // the index in `round` of the running fiber
    bool any_finished = false;        // in the running round
    void* scheduler[5];               // where a round ends
    Launch* launch = nullptr;

    Worker() = default;
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;
    ~Worker() {
        for (Fiber* fiber : fibers) {
            munmap(reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(fiber)
                                           & ~(FIBER_BYTES - 1)), FIBER_BYTES);
        }
    }
};

thread_local Worker this_worker;

void set_thread_index(ThreadContext& context, unsigned t) {
    const dim3& d = context.block_dim;
    context.thread_index = {t % d.x, t / d.x % d.y, t / (d.x * d.y)};
}

// Start `fiber` or continue it where it left off; never returns.
[[noreturn]] __attribute__((noinline)) void enter(Fiber* fiber) {
    if (fiber->started) __builtin_longjmp(fiber->resume_point, 1);
    fiber->started = true;
    setcontext(&fiber->first_entry);
    fail("setcontext failed");
}

// The running fiber's turn is over: the next live fiber of the round runs, or the round ends.
// Each switch lands on another fiber's stack, far in memory from the last one, so the cache
// is asked ahead for the header of the fiber two turns on and the parked frames of the one
// after the fiber about to run.
[[noreturn]] __attribute__((noinline)) void pass_on(Worker* worker) {
    const std::size_t turn = ++worker->turn, size = worker->round.size();
    if (turn == size) __builtin_longjmp(worker->scheduler, 1);
    if (turn + 2 < size) __builtin_prefetch(worker->fibers[worker->round[turn + 2]]);
    if (turn + 1 < size) {
        const char* frame = worker->fibers[worker->round[turn + 1]]->parked_frame;
        for (int line = 0; line < 3; ++line) __builtin_prefetch(frame + line * CACHE_LINE);
    }
    enter(worker->fibers[worker->round[turn]]);
}

__attribute__((noinline)) void barrier(ThreadContext* context) {
    Fiber* fiber = reinterpret_cast<Fiber*>(context);
    fiber->parked_frame = static_cast<char*>(__builtin_frame_address(0));
    if (!__builtin_setjmp(fiber->resume_point)) pass_on(fiber->worker);
}

void barrier_outside_cooperative_launch(ThreadContext*) {
    fail("__syncthreads() in a kernel whose module was compiled without fibers");
}

void run_threads(Fiber* fiber) {
    const Launch& launch = *fiber->worker->launch;
    if (launch.cooperative) {
        launch.body(launch.args);
        return;
    }
    for (unsigned t = 0; t < launch.threads; ++t) {
        set_thread_index(fiber->context, t);
        launch.body(launch.args);
    }
}

// A fiber's life: run its share of a block, park, and run again when a later block needs it.
void fiber_main() {
    for (;;) {
        Fiber* fiber = reinterpret_cast<Fiber*>(this_thread());
        run_threads(fiber);
        fiber->worker->finished[fiber->thread] = 1;
        fiber->worker->any_finished = true;
        fiber->parked_frame = static_cast<char*>(__builtin_frame_address(0));
        if (!__builtin_setjmp(fiber->resume_point)) pass_on(fiber->worker);
    }
}

Fiber* new_fiber(Worker* worker) {
    const std::size_t page = sysconf(_SC_PAGESIZE);
    if (page + COLOURS * CACHE_LINE + HEADER_BYTES + 32 * 1024 > FIBER_BYTES) {
        fail("the page size leaves no room for a fiber's stack");
    }
    void* mapped = mmap(nullptr, 2 * FIBER_BYTES, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapped == MAP_FAILED) fail("cannot map a fiber's stack");
    auto raw = reinterpret_cast<std::uintptr_t>(mapped);
    std::uintptr_t start = (raw + FIBER_BYTES - 1) & ~(FIBER_BYTES - 1);
    if (start > raw) munmap(mapped, start - raw);
    munmap(reinterpret_cast<void*>(start + FIBER_BYTES), raw + FIBER_BYTES - start);
    char* region = reinterpret_cast<char*>(start);
    if (mprotect(region, page, PROT_NONE)) fail("cannot protect a fiber's guard page");
    char* header = reinterpret_cast<char*>(header_address(start));
    Fiber* fiber = new (header) Fiber{};
    fiber->worker = worker;
    fiber->thread = unsigned(worker->fibers.size());
    fiber->parked_frame = header;
    getcontext(&fiber->first_entry);
    fiber->first_entry.uc_stack.ss_sp = region + page;
    fiber->first_entry.uc_stack.ss_size = std::size_t(header - region) - page;
    fiber->first_entry.uc_link = nullptr;
    makecontext(&fiber->first_entry, fiber_main, 0);
    return fiber;
}

// Every round of the block in worker->round, until no thread is left.
__attribute__((noinline)) void run_rounds(Worker* worker) {
    while (!worker->round.empty()) {
        if (!__builtin_setjmp(worker->scheduler)) {
            worker->turn = 0;
            worker->any_finished = false;
            enter(worker->fibers[worker->round[0]]);
        }
        if (worker->any_finished) {
            std::erase_if(worker->round, [worker](unsigned t) { return worker->finished[t]; });
        }
    }
}

void run_block(Worker* worker, unsigned long long block) {
    const Launch& launch = *worker->launch;
    const dim3& g = launch.grid_dim;
    const uint3 block_index = {unsigned(block % g.x), unsigned(block / g.x % g.y),
                               unsigned(block / (1ULL * g.x * g.y))};
    const unsigned count = launch.cooperative ? launch.threads : 1;
    while (worker->fibers.size() < count) worker->fibers.push_back(new_fiber(worker));
    worker->finished.assign(worker->fibers.size(), 0);
    worker->round.clear();
    for (unsigned t = 0; t < count; ++t) {
        ThreadContext& context = worker->fibers[t]->context;
        context.block_index = block_index;
        context.block_dim = launch.block_dim;
        context.grid_dim = launch.grid_dim;
        context.barrier = launch.cooperative ? barrier : barrier_outside_cooperative_launch;
        set_thread_index(context, t);
        worker->round.push_back(t);
    }
    run_rounds(worker);
}

void run_blocks(Launch& launch) {
    Worker& worker = this_worker;
    worker.launch = &launch;
    for (;;) {
        auto block = launch.next_block.fetch_add(1);
        if (block >= launch.blocks) break;
        run_block(&worker, block);
    }
    worker.launch = nullptr;
}

// The pool threads: each waits for a launch that wants a helper, and takes blocks from it.
struct Pool {
    std::mutex launching;             // one launch at a time
    std::mutex state;
    std::condition_variable wake;
    std::condition_variable idle;
    Launch* launch = nullptr;
    unsigned wanted = 0;              // helpers the current launch still asks for
    unsigned busy = 0;                // helpers running blocks of it
    unsigned threads = 0;
};

Pool* pool = new Pool;                // never destroyed: its threads outlive static destructors

void helper_loop(Pool* own) {
    std::unique_lock lock(own->state);
    for (;;) {
        own->wake.wait(lock, [own] { return own->wanted > 0; });
        --own->wanted;
        ++own->busy;
        Launch* launch = own->launch;
        lock.unlock();
        run_blocks(*launch);
        lock.lock();
        if (--own->busy == 0) own->idle.notify_all();
    }
}

// A forked child has none of its parent's pool threads.
[[maybe_unused]] const int fork_handler = pthread_atfork(nullptr, nullptr, [] { pool = new Pool; });

}  // namespace
}  // namespace minicnn_emulator

// Run `body` once per thread of a (grid, block) launch; dims = {gx, gy, gz, bx, by, bz};
// `cooperative`: the source calls __syncthreads(); `workers`: OS threads to spread it over.
extern "C" void minicnn_launch(const long long* dims, int cooperative,
                               minicnn_emulator::ThreadBody body, void* const* args, int workers) {
    using namespace minicnn_emulator;
    Launch launch;
    launch.grid_dim = {unsigned(dims[0]), unsigned(dims[1]), unsigned(dims[2])};
    launch.block_dim = {unsigned(dims[3]), unsigned(dims[4]), unsigned(dims[5])};
    launch.threads = launch.block_dim.x * launch.block_dim.y * launch.block_dim.z;
    launch.cooperative = cooperative != 0;
    launch.body = body;
    launch.args = args;
    launch.blocks = 1ULL * launch.grid_dim.x * launch.grid_dim.y * launch.grid_dim.z;
    Pool* own = pool;
    std::lock_guard one_at_a_time(own->launching);
    const auto helpers = unsigned(std::min<unsigned long long>(std::max(workers, 1),
                                                               launch.blocks) - 1);
    if (helpers) {
        std::lock_guard lock(own->state);
        for (; own->threads < helpers; ++own->threads) std::thread(helper_loop, own).detach();
        own->launch = &launch;
        own->wanted = helpers;
        own->wake.notify_all();
    }
    run_blocks(launch);
    if (helpers) {
        std::unique_lock lock(own->state);
        own->wanted = 0;              // blocks are all taken: late helpers have nothing to do
        own->idle.wait(lock, [own] { return own->busy == 0; });
        own->launch = nullptr;
    }
}
