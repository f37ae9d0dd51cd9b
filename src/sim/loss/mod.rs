//! The two contrastive losses: the paper's, with StopGrad ([`stopgrad`], docs/THEORY.md
//! §1.3, §4.3), and SimCLR's symmetric NT-Xent of the peer variant ([`nt_xent`],
//! docs/THEORY.md §4.6).

pub mod nt_xent;
pub mod stopgrad;

pub use stopgrad::{
    accumulate_weight_grad, exp_nonpositive, gate_by_threshold, loss_and_feature_grad, loss_and_gated_grad,
    LossWorkspace,
};
