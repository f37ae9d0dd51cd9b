//! The SGD loop allocates nothing in steady state (issue #5): a counting global allocator
//! counts this thread's allocations while a trainer takes steps 4..=20.
//!
//! What allocates before that, once: the trainer's buffers (Trainer::new), and on the first
//! large product of a thread faer's x86 kernels (private-gemm-x86) allocate their packing
//! buffer, a thread-local sized to the L3 cache that every later product reuses. The
//! sparse codes are reserved for B·d nonzeros (every code dense), so a batch with more
//! nonzeros than any before cannot make them grow.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use decouple::sim::linalg::Real;
use decouple::sim::perf;
use decouple::sim::train::solver::Trainer;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: defers to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_in_steps_4_to_20<T: Real>(settings: &decouple::Settings) -> u64 {
    let mut t = Trainer::<T>::build(settings);
    for _ in 0..3 {
        t.step().unwrap();
    }
    let before = ALLOCS.with(|c| c.get());
    for _ in 3..20 {
        std::hint::black_box(t.step().unwrap());
    }
    ALLOCS.with(|c| c.get()) - before
}

#[test]
fn steady_state_sgd_steps_do_not_allocate() {
    for kind in [
        "random_mask",
        "none",
        "independent_mask",
        "gaussian_noise",
        "block_mask",
    ] {
        let s = common::settings(&common::small_config(kind));
        assert_eq!(
            allocations_in_steps_4_to_20::<f64>(&s),
            0,
            "{kind}: allocations in steps 4..=20 (f64)"
        );
        assert_eq!(
            allocations_in_steps_4_to_20::<f32>(&s),
            0,
            "{kind}: allocations in steps 4..=20 (f32)"
        );
    }
    // The benchmark's small size, whose products go through faer's large-matrix kernels.
    for kind in ["random_mask", "none"] {
        let s = perf::SMALL.settings(kind, 1);
        assert_eq!(allocations_in_steps_4_to_20::<f64>(&s), 0, "perf small, {kind}, f64");
        assert_eq!(allocations_in_steps_4_to_20::<f32>(&s), 0, "perf small, {kind}, f32");
    }
}
