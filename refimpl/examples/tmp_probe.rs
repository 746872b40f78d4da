use osfmig_refimpl::paper::{refit_cc1, Paper, Refit};
use osfmig_refimpl::timing::Costs;
use osfmig_refimpl::workload::Shapes;
fn main() {
    for calls in [40.0, 100.0, 200.0, 300.0, 400.0, 500.0] {
        let mut s = Shapes::builtin();
        s.workloads
            .get_mut("make")
            .unwrap()
            .get_mut("cc1_calls")
            .unwrap()
            .value = calls;
        let Refit::Fitted(s) =
            refit_cc1(&Costs::i386(), &s, 1, &Paper::cfg(), "make", 3.0).unwrap()
        else {
            println!("{calls}: no fit");
            continue;
        };
        let cc1 = s.workloads["make"]["cc1_compute_ms"].value;
        let mut px = Paper::new(Costs::i386(), s, 1);
        let (b, _p, _t, dp, dt) = px.degradation("make").unwrap();
        println!("cc1_calls {calls}: cc1 {cc1} b {b:.0} dp {dp:.2} dt {dt:.2}");
    }
}
