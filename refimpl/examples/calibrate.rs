//! spec §11.2, §11.6 Re-derives every calibrated parameter: the i386 profile's from the
//! paper's totals and the refimpl's counted messages, then the two calibrated workload sizes
//! (gcc's and make's cc1 compute time) by bisection on their paper degradation. Prints the
//! values for the data files.
use osfmig_refimpl::paper::{calibrate, claims, Paper};
use osfmig_refimpl::timing::{Costs, Profile};
use osfmig_refimpl::workload::Shapes;

fn main() {
    let v = calibrate(&Profile::i386(), &Shapes::builtin()).expect("calibration runs");
    for (k, x) in &v {
        println!("profile {k} = {x:.1} us");
    }
    let costs = Costs::i386();
    let paper = |id: &str| {
        claims()
            .into_iter()
            .find(|c| c.id == id)
            .and_then(|c| c.paper)
            .unwrap()
    };
    for (w, id) in [("gcc", "fig9-gcc-process"), ("make", "fig10-make-process")] {
        let goal = paper(id);
        let (mut lo, mut hi) = (50.0f64, 60_000.0f64);
        for _ in 0..40 {
            let mid = (lo + hi) / 2.0;
            let mut s = Shapes::builtin();
            s.workloads
                .get_mut(w)
                .unwrap()
                .get_mut("cc1_compute_ms")
                .unwrap()
                .value = mid;
            let mut px = Paper::new(costs.clone(), s, 1);
            let d = px.degradation(w).unwrap().3;
            if d > goal {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        println!(
            "workloads {w}.cc1_compute_ms = {:.0} ms ({id} = {goal} %)",
            (lo + hi) / 2.0
        );
    }
}
