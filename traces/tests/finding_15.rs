//! Finding 15 (spec §10) on the refimpl: with messages ordered per port only, the P11 fix
//! loses a caller's order again. The model's counterexample, replayed on the refimpl (which
//! shares no code with the model), is followed step for step, and the refimpl's own P11
//! monitor sees the overtaking: the finding is the protocol's, not an artefact of the model.

use osfmig_model::check::{check_run, CheckOptions};
use osfmig_model::presets::find_run;
use osfmig_model::OsfModel;
use osfmig_traces::generate::render;
use osfmig_traces::parse::parse_bytes;
use osfmig_traces::replay::replay;
use osfmig_traces::Header;
use stateright::Model;

/// The model trace of the counterexample `check` gives for `prop` in `run`.
fn counterexample_trace(run: &str, prop: &str) -> osfmig_traces::Trace {
    let spec = find_run(run).expect("catalog run");
    let res = check_run(&spec, &CheckOptions::default());
    let p = res
        .properties
        .iter()
        .find(|p| p.id == prop)
        .expect("property");
    let steps = p.path.as_ref().expect("a counterexample");
    let model = OsfModel::new(spec.config.clone());
    let init = model.init_states().remove(0);
    let mut st = init.clone();
    let mut path = Vec::new();
    for s in steps {
        let mut acts = Vec::new();
        model.enabled(&st, &mut acts);
        let a = acts[s.index].clone();
        st = model
            .step(&st, &a)
            .expect("the replay token names an enabled action");
        path.push(a);
    }
    let header = Header::model("ci", run, &spec.config, "walk", Some(0), 0).unwrap();
    let (events, _) = render(&model, &init, &path, true).expect("render");
    let mut text = serde_json::to_string(&header).unwrap() + "\n";
    for e in &events {
        text += &(serde_json::to_string(e).unwrap() + "\n");
    }
    parse_bytes(std::path::Path::new(run), text.as_bytes()).expect("parse")
}

// Reference: spec §10 finding 15, spec §4.1, spec §12.10, spec §12.16. The P11 counterexample
// of `p11-fixed-ports` (channels per port, `Done` to the migration port) replays on the
// refimpl with no divergence, and the refimpl's P11 monitor reports S-overtaken on the way.
// With `Done` on the vproc port (`p11-fixed-ports-done`) the same schedule is not a behaviour
// of the model at all, and P11 holds there.
#[test]
fn the_refimpl_overtakes_on_the_models_counterexample() {
    let t = counterexample_trace("p11-fixed-ports", "P11");
    let r = replay(&t, "p11-fixed-ports").expect("replay");
    assert!(r.divergence.is_none(), "{}", r.divergence.unwrap());
    assert!(
        r.reached.iter().any(|i| i == "S-overtaken"),
        "the refimpl did not see the overtaking: {:?}",
        r.reached
    );
    let fixed = check_run(
        &find_run("p11-fixed-ports-done").unwrap(),
        &CheckOptions::default(),
    );
    let p11 = fixed.properties.iter().find(|p| p.id == "P11").unwrap();
    assert!(p11.path.is_none(), "P11 holds with Done on the vproc port");
}

// The same counterexample with the refimpl sending `Done` to the vproc port (finding 15's
// fix, given to the refimpl alone): the refimpl can no longer follow the model's schedule, or
// no longer overtakes. Either way the check above has teeth.
#[test]
fn the_fix_on_the_refimpl_alone_breaks_the_replay() {
    let t = counterexample_trace("p11-fixed-ports", "P11");
    let spec = find_run("p11-fixed-ports").unwrap();
    let r = osfmig_traces::replay::replay_with(&t, "p11-fixed-ports", &spec.config, |w| {
        w.cfg.check_invariants = false;
        w.cfg.done_on_vproc_port = true;
    })
    .expect("replay");
    assert!(r.divergence.is_some() || !r.reached.iter().any(|i| i == "S-overtaken"));
}
