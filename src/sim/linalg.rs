//! The one dense product the crate uses: faer's matmul, single-threaded (`Par::Seq`, for
//! bit-reproducibility; docs/THEORY.md §4.7), followed by clearing the upper halves of the AVX
//! registers.
//!
//! Why the second part: faer's kernels leave the AVX upper state dirty, and code that runs
//! next in legacy SSE encoding (glibc's `exp` wrapper, and this crate's own loops, which are
//! compiled for baseline x86-64) then pays a state-transition penalty on every instruction.
//! Measured with `perf` on the 100-step d=50 profile run: `exp` took 56% of the time and
//! the whole run 6.8 s; with `vzeroupper` after the products, 2.9 s.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

/// dst ← (accum: dst or 0) + alpha · lhs · rhs, single-threaded.
#[inline]
pub fn gemm(dst: MatMut<'_, f64>, accum: Accum, lhs: MatRef<'_, f64>, rhs: MatRef<'_, f64>, alpha: f64) {
    matmul(dst, accum, lhs, rhs, alpha, Par::Seq);
    clear_upper_avx_state();
}

/// Issue `vzeroupper` when the CPU has AVX (a no-op elsewhere).
#[inline]
pub fn clear_upper_avx_state() {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the instruction exists on every CPU that reports AVX, checked above; it
        // only zeroes the upper 128 bits of the YMM registers, which no live Rust value
        // holds across this call (we are not inside an AVX-enabled function).
        unsafe { std::arch::x86_64::_mm256_zeroupper() };
    }
}
