//! A library user's own augmentation, trained by the crate's StopGrad trainer beside the
//! paper's RandomMask on the same seed (same dictionary, initial weights and data).
//!
//! ```sh
//! cargo run --release --example own_augmentation
//! ```
//!
//! The augmentation here, `IndependentDropout`, keeps each coordinate of each view with
//! probability q on its own (scaled by 1/q), so the two views are not complementary: any
//! type implementing `decouple::sim::augment::Augmentation` can take its place.

use decouple::config::Config;
use decouple::sim::augment::{self, Augmentation};
use decouple::sim::summary::Metric;
use decouple::sim::train::executor::{self, Silent};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Two independent dropout masks with keep probability `q`, each view rescaled by 1/q.
struct IndependentDropout {
    q: f64,
}

impl Augmentation for IndependentDropout {
    fn identity_views(&self) -> bool {
        false
    }

    fn view_sample(&self, x: &[f64], a: &mut [f64], b: &mut [f64], rng: &mut ChaCha8Rng) {
        let threshold = (self.q * u64::MAX as f64) as u64;
        for k in 0..x.len() {
            let (u, v) = (rng.next_u64(), rng.next_u64());
            a[k] = if u < threshold { x[k] / self.q } else { 0.0 };
            b[k] = if v < threshold { x[k] / self.q } else { 0.0 };
        }
    }

    /// Each view's noise coordinate is ξ/q with probability q: its std is σ_ξ/√q.
    fn noise_std_factor(&self) -> f64 {
        1.0 / self.q.sqrt()
    }
}

const EXPERIMENT: &str = r#"
name = "own_augmentation"
seed = 1
[model]
d = 16
d1 = 128
[network]
m = 64
[augmentation]
kind = "random_mask"
[train]
steps = 300
batch = 128
lr = 1.0
weight_decay = 1e-4
tau = 0.1
log_every = 50
[metrics]
eval_samples = 500
[probe]
n_train = 500
n_test = 500
"#;

fn main() -> decouple::Result<()> {
    let settings = Config::from_toml_str(EXPERIMENT, "own_augmentation.toml".as_ref())?.check()?;
    let paper = augment::from_config(&settings.augmentation, settings.model.sigma_xi);
    let mine: Box<dyn Augmentation> = Box::new(IndependentDropout { q: 0.5 });
    for (name, aug) in [
        ("RandomMask (the paper's)", paper),
        ("independent dropout (ours)", mine),
    ] {
        let out = executor::run_with(&settings, aug, &mut Silent)?;
        let s = out.summary();
        println!(
            "{name:<28} median alignment {:.3}, atoms covered {}/{}, probe rel. MSE {:.3}, {:.1} s",
            s.get(Metric::AlignMedian),
            s.get(Metric::AtomsCovered),
            s.get(Metric::AtomsTotal),
            s.get(Metric::ProbeRegressionRelMse),
            out.wall_seconds
        );
    }
    Ok(())
}
