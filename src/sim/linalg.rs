//! The one dense product the crate uses: faer's matmul, single-threaded (`Par::Seq`, for
//! bit-reproducibility; docs/THEORY.md §4.7), followed by clearing the upper halves of the AVX
//! registers; and [`Real`], the two floating-point types the SGD step runs in.
//!
//! Why the second part: faer's kernels leave the AVX upper state dirty, and code that runs
//! next in legacy SSE encoding (glibc's `exp` wrapper, and this crate's own loops, which are
//! compiled for baseline x86-64) then pays a state-transition penalty on every instruction.
//! Measured with `perf` on the 100-step d=50 profile run: `exp` took 56% of the time and
//! the whole run 6.8 s; with `vzeroupper` after the products, 2.9 s.

use std::fmt::Debug;
use std::ops::{Add, Mul, MulAssign, Neg, Sub};

use faer::linalg::matmul::matmul;
use faer::traits::ComplexField;
use faer::{Accum, MatMut, MatRef, Par};

/// A floating-point type the SGD step can run in: `f64` (the default) or `f32`
/// (`[train] precision = "f32"`, docs/THEORY.md §4.9). Everything that decides a result
/// (norms, loss sums, softmax normalisers, metrics, probes) is accumulated in `f64`
/// whatever the step's type; only the large matrices (W, the views, the features and the
/// gradient) and their products are held in `Self`.
pub trait Real:
    ComplexField
    + Copy
    + Debug
    + Default
    + PartialEq
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + MulAssign
    + Neg<Output = Self>
{
    /// "f64" or "f32".
    const NAME: &'static str;
    /// Zero.
    const ZERO: Self;
    /// The nearest value of this type.
    fn of(v: f64) -> Self;
    /// Widened to f64 (exact).
    fn wide(self) -> f64;
    /// The soft threshold u − clamp(u, −b, b) in this type (see
    /// [`crate::sim::network::soft_threshold`], the same bits for f64).
    fn soft_threshold(u: Self, b: Self) -> Self;
    /// The larger of two values, the other one if one is NaN (as `f64::max`).
    fn maximum(self, other: Self) -> Self;
    /// The slice itself when `Self` is f64 (so f64 code paths write in place), else None.
    fn as_f64_mut(s: &mut [Self]) -> Option<&mut [f64]>;
}

/// The methods whose text is the same for f64 and f32 (each type's own `max`/`min`).
macro_rules! same_in_both_types {
    () => {
        #[inline(always)]
        fn soft_threshold(u: Self, b: Self) -> Self {
            u - u.max(-b).min(b)
        }
        #[inline(always)]
        fn maximum(self, other: Self) -> Self {
            self.max(other)
        }
    };
}

impl Real for f64 {
    const NAME: &'static str = "f64";
    const ZERO: Self = 0.0;
    #[inline(always)]
    fn of(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn wide(self) -> f64 {
        self
    }
    same_in_both_types!();
    #[inline(always)]
    fn as_f64_mut(s: &mut [Self]) -> Option<&mut [f64]> {
        Some(s)
    }
}

impl Real for f32 {
    const NAME: &'static str = "f32";
    const ZERO: Self = 0.0;
    #[inline(always)]
    fn of(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn wide(self) -> f64 {
        f64::from(self)
    }
    same_in_both_types!();
    #[inline(always)]
    fn as_f64_mut(_: &mut [Self]) -> Option<&mut [f64]> {
        None
    }
}

/// dst ← (accum: dst or 0) + alpha · lhs · rhs, single-threaded.
#[inline]
pub fn gemm<T: Real>(dst: MatMut<'_, T>, accum: Accum, lhs: MatRef<'_, T>, rhs: MatRef<'_, T>, alpha: T) {
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

/// A dense f64 matrix for serde: its shape and its entries column by column, every bit
/// kept (the execution layer's run records must load the exact matrix a run measured).
pub mod mat_serde {
    use faer::Mat;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Dense {
        rows: usize,
        cols: usize,
        /// Column-major.
        data: Vec<f64>,
    }

    /// Write `m` as (rows, cols, entries column by column).
    pub fn serialize<S: Serializer>(m: &Mat<f64>, s: S) -> Result<S::Ok, S::Error> {
        let mut data = Vec::with_capacity(m.nrows() * m.ncols());
        for j in 0..m.ncols() {
            for i in 0..m.nrows() {
                data.push(m[(i, j)]);
            }
        }
        Dense {
            rows: m.nrows(),
            cols: m.ncols(),
            data,
        }
        .serialize(s)
    }

    /// Read what [`serialize`] wrote; a shape that does not match the entries is an error.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Mat<f64>, D::Error> {
        let m = Dense::deserialize(d)?;
        if m.rows.checked_mul(m.cols) != Some(m.data.len()) {
            return Err(serde::de::Error::custom(format!(
                "a {}x{} matrix with {} entries",
                m.rows,
                m.cols,
                m.data.len()
            )));
        }
        let mut out = Mat::<f64>::zeros(m.rows, m.cols);
        for j in 0..m.cols {
            for i in 0..m.rows {
                out[(i, j)] = m.data[j * m.rows + i];
            }
        }
        Ok(out)
    }
}
