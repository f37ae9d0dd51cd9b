//! The τ-homogeneity of the implementation (docs/THEORY.md §4.11), as an exact integrity
//! test: with the bias rule b_i = κ·s·‖w_i‖ the features are homogeneous of degree 1 in W
//! and the loss is τ·ℓ(S/τ), so Obj(W; τ) = τ·Obj(W/√τ; 1). A run at (τ', σ0·√(τ'/τ)) is
//! then the run at (τ, σ0) with every weight multiplied by √(τ'/τ): bit for bit when
//! τ'/τ = 4 (scaling by 2 is exact in floating point), to rounding otherwise. This is why
//! α ∝ τ cannot be tested under this rule: α ∝ √τ is forced.

use decouple::config::{Config, Settings};
use decouple::sim::train::executor::{run, RunOutput, Silent};

fn settings(tau: f64, sigma0: f64, precision: &str) -> Settings {
    let text = format!(
        r#"
name = "homogeneity"
seed = 7
[model]
d = 8
d1 = 23
[network]
m = 32
sigma0 = {sigma0:e}
kappa = 1.0
[augmentation]
kind = "random_mask"
[train]
steps = 300
batch = 64
lr = 1.0
weight_decay = 1e-4
tau = {tau:e}
log_every = 50
precision = "{precision}"
[probe]
n_train = 100
n_test = 100
"#
    );
    Config::from_toml_str(&text, "homogeneity.toml".as_ref())
        .unwrap()
        .check()
        .unwrap()
}

fn trained(tau: f64, sigma0: f64, precision: &str) -> RunOutput {
    run(&settings(tau, sigma0, precision), &mut Silent).unwrap()
}

#[test]
fn tau_times_four_with_sigma0_doubled_doubles_every_weight_bit_for_bit() {
    let s0 = 1.0 / 23f64.sqrt();
    for precision in ["f64", "f32"] {
        let a = trained(0.05, s0, precision);
        let b = trained(0.2, 2.0 * s0, precision);
        let (wa, wb) = (&a.network.w, &b.network.w);
        for i in 0..wa.nrows() {
            for k in 0..wa.ncols() {
                assert_eq!(wb[(i, k)], 2.0 * wa[(i, k)], "{precision}: W[{i},{k}]");
            }
        }
        assert_eq!(
            b.final_loss,
            4.0 * a.final_loss,
            "{precision}: the loss is tau l(S/tau)"
        );
        for (ra, rb) in a.log.iter().zip(&b.log) {
            assert_eq!(ra.features.align_median, rb.features.align_median);
            assert_eq!(ra.features.sparse_share_median, rb.features.sparse_share_median);
        }
        for (na, nb) in a.final_features.neurons.iter().zip(&b.final_features.neurons) {
            assert_eq!(nb.best_coef, 2.0 * na.best_coef, "{precision}: alpha doubles");
        }
    }
}

#[test]
fn tau_times_two_with_sigma0_times_sqrt2_scales_alpha_by_sqrt2_to_rounding() {
    let s0 = 1.0 / 23f64.sqrt();
    let a = trained(0.1, s0, "f64");
    let b = trained(0.2, std::f64::consts::SQRT_2 * s0, "f64");
    let mut worst = 0.0f64;
    for (na, nb) in a.final_features.neurons.iter().zip(&b.final_features.neurons) {
        let rel = (nb.best_coef / (std::f64::consts::SQRT_2 * na.best_coef) - 1.0).abs();
        worst = worst.max(rel);
    }
    assert!(worst < 1e-9, "largest relative deviation {worst:e}");
    // And without the sigma0 scaling the map is not exact: the check is not vacuous.
    let c = trained(0.2, s0, "f64");
    let off = a
        .final_features
        .neurons
        .iter()
        .zip(&c.final_features.neurons)
        .map(|(na, nc)| (nc.best_coef / (std::f64::consts::SQRT_2 * na.best_coef) - 1.0).abs())
        .fold(0.0f64, f64::max);
    assert!(off > 1e-6, "fixed sigma0 gave {off:e}");
}
