//! spec §11.2, §11.6 Re-derives every calibrated parameter: the i386 profile's from the
//! paper's totals and the refimpl's counted messages, then the two calibrated workload sizes
//! (gcc's and make's cc1 compute time) by bisection on their paper degradation. Prints the
//! values for the data files.
use osfmig_refimpl::paper::{calibrate, paper_value, Paper, Refit, CALIBRATED_SIZES};
use osfmig_refimpl::timing::{Costs, Profile};
use osfmig_refimpl::workload::Shapes;

fn main() {
    let shapes = Shapes::builtin();
    let v = calibrate(&Profile::i386(), &shapes).expect("calibration runs");
    for (k, x) in &v {
        println!("profile {k} = {x:.1} us");
    }
    let costs = Costs::i386();
    for (w, id) in CALIBRATED_SIZES {
        let goal = paper_value(id).expect("the claim has a value");
        let mut px = Paper::new(costs.clone(), shapes.clone(), 1);
        match px.refit_cc1(&shapes, w, goal).expect("fit runs") {
            Refit::Fitted(s) => println!(
                "workloads {w}.cc1_compute_ms = {:.0} ms ({id} = {goal} %)",
                s.workloads[w]["cc1_compute_ms"].value
            ),
            Refit::Unreachable(_, d) => {
                println!("workloads {w}.cc1_compute_ms: no fit ({id} = {goal} %, closest {d:.2} %)")
            }
        }
    }
}
