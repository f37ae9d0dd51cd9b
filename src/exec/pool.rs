//! Running independent simulations side by side on the cores.
//!
//! Each simulation is single-threaded (bit-reproducible, docs/THEORY.md §4.7); a pool of `jobs`
//! scoped threads takes tasks in order from a shared counter, and results come back in the
//! tasks' order, so a parallel run returns exactly what a serial run returns.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// The number of jobs to use when the user gives none: the available cores.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Apply `f` to every task on up to `jobs` threads; results in task order. `on_done` is
/// called (from the worker threads, serialised) with the number of finished tasks.
pub fn map<T: Sync, R: Send>(
    tasks: &[T],
    jobs: usize,
    f: impl Fn(&T) -> R + Sync,
    on_done: impl Fn(usize) + Sync,
) -> Vec<R> {
    let jobs = jobs.clamp(1, tasks.len().max(1));
    let next = AtomicUsize::new(0);
    let done = Mutex::new(0usize);
    let slots: Vec<Mutex<Option<R>>> = tasks.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= tasks.len() {
                    break;
                }
                let r = f(&tasks[k]);
                *slots[k].lock().expect("no panics while holding the slot") = Some(r);
                let mut d = done.lock().expect("no panics while holding the counter");
                *d += 1;
                on_done(*d);
            });
        }
    });
    slots
        .into_iter()
        .map(|s| s.into_inner().expect("slot lock").expect("every task ran"))
        .collect()
}

/// Run one simulation, turning a panic inside it into [`Error::Panicked`] naming the run
/// (`label`, `seed`): in a batch on [`map`], the other simulations run on.
pub fn caught<R>(label: impl FnOnce() -> String, seed: u64, f: impl FnOnce() -> Result<R>) -> Result<R> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| {
        Err(Error::Panicked {
            label: label(),
            seed,
            message: panic_message(p.as_ref()),
        })
    })
}

/// The text of a panic's payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a panic without a message)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_map_keeps_order_and_equals_serial() {
        let tasks: Vec<u64> = (0..37).collect();
        let f = |&t: &u64| (0..t * 1000).fold(t, |a, b| a.wrapping_mul(31).wrapping_add(b));
        let serial = map(&tasks, 1, f, |_| {});
        let par = map(&tasks, 4, f, |_| {});
        assert_eq!(serial, par);
    }

    #[test]
    fn panic_messages() {
        let p = std::panic::catch_unwind(|| panic!("boom {}", 3)).unwrap_err();
        assert_eq!(panic_message(p.as_ref()), "boom 3");
        let p = std::panic::catch_unwind(|| panic!("plain")).unwrap_err();
        assert_eq!(panic_message(p.as_ref()), "plain");
        let r: Result<u8> = caught(|| "cell x".into(), 7, || panic!("inside"));
        assert_eq!(r.unwrap_err().to_string(), "run cell x seed 7 panicked: inside");
        assert_eq!(caught(|| "y".into(), 1, || Ok(3)).unwrap(), 3);
    }
}
