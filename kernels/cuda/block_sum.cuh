// block_sum: the sum of one double per thread over a block of THREADS threads (THREADS, a
// power of two, defined by the including file), by a fixed tree reduction in the shared
// array `partial` (THREADS doubles): deterministic. Every thread gets the total, and
// `partial` may be reused as soon as it returns.
// The loader pastes this file in place of its #include line (see loader.source).

__device__ double block_sum(double v, double* partial) {
    partial[threadIdx.x] = v;
    __syncthreads();
    for (unsigned s = THREADS / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
        __syncthreads();
    }
    double total = partial[0];
    __syncthreads();                            // partial is reused by the next call
    return total;
}
