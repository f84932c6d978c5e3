// block_sum: the sums of the reduction kernels, in the precision of their arrays (float for
// float32, double for float64), accurate and deterministic:
// - CompensatedSum, one thread's running sum of many terms with Kahan's compensation, so
//   that a long row or channel keeps the low-order bits a plain float sum drops;
// - group_reduce / group_sum / block_sum, one value per thread combined over aligned groups
//   of `lanes` threads (a power of two dividing THREADS, the block size, which the including
//   file defines) by a fixed tree in the shared array `partial` (THREADS values). Every
//   thread of the block must call them (they hold barriers); each gets its group's total,
//   and `partial` may be reused as soon as they return.
// The loader pastes this file in place of its #include line (see loader.source).

template <typename T>
struct CompensatedSum {
    T sum, lost;            // lost: what the last additions rounded away, negated

    __device__ CompensatedSum() : sum(0), lost(0) {}

    __device__ void add(T v) {
        T y = v - lost;
        T t = sum + y;
        // t − t is 0 only for a finite t: past an infinity the compensation would be NaN
        lost = t - t == T(0) ? (t - sum) - y : T(0);
        sum = t;
    }

    __device__ T total() const { return sum - lost; }
};

struct Plus {
    template <typename T> __device__ T operator()(T a, T b) const { return a + b; }
};

template <typename T, typename Op>
__device__ T group_reduce(T v, T* partial, unsigned lanes, Op op) {
    unsigned lane = threadIdx.x & (lanes - 1);
    partial[threadIdx.x] = v;
    __syncthreads();
    for (unsigned s = lanes / 2; s > 0; s >>= 1) {
        if (lane < s) partial[threadIdx.x] = op(partial[threadIdx.x], partial[threadIdx.x + s]);
        __syncthreads();
    }
    T total = partial[threadIdx.x - lane];
    __syncthreads();                            // partial is reused by the next call
    return total;
}

template <typename T>
__device__ T group_sum(T v, T* partial, unsigned lanes) {
    return group_reduce(v, partial, lanes, Plus());
}

template <typename T>
__device__ T block_sum(T v, T* partial) {
    return group_sum(v, partial, THREADS);
}
