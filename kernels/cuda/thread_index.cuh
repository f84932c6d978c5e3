// thread_index: this thread's index in a 1-D launch, in the kernel's index type I. Kernels
// come in two forms: I = int where every array they index has fewer than
// loader.INDEX32_LIMIT elements and every integer argument (stride, padding, window) is
// below it (the wrapper checks, through loader.indexed_function), and I = long long (the
// `_i64` entry points) otherwise. A GPU divides 64-bit integers
// in software, behind a run-time test for operands that fit 32 bits, and adds or multiplies
// them in pairs of 32-bit instructions, so the index arithmetic of the int form, a handful
// of divisions and products per element, costs far fewer instructions and registers.
// The loader pastes this file in place of its #include line.

template <typename I>
__device__ I thread_index() {
    return (I)blockIdx.x * (I)blockDim.x + (I)threadIdx.x;
}
