//! make's job count, which the paper does not give (spec §11.6, §11.9): the calibrated cc1
//! time re-fitted around it, and the sweep `osfmig paper` prints.

use std::collections::BTreeSet;

use osfmig_refimpl::paper::{
    paper_value, reproduce, Paper, Refit, CALIBRATED_SIZES, CC1_COMPUTE_MAX_MS, MAKE_SWEEP,
};
use osfmig_refimpl::timing::Costs;
use osfmig_refimpl::workload::{Shapes, JOBS_MAX, SET_VALUE_MAX};

fn value(s: &Shapes, w: &str, k: &str) -> f64 {
    s.workloads[w][k].value
}

/// The reproduction context `osfmig paper` uses, on `shapes`.
fn px(shapes: Shapes) -> Paper {
    Paper::new(Costs::i386(), shapes, 1)
}

/// `shapes` with the calibrated sizes of `changed` re-fitted, and the re-fit lines.
fn refit(shapes: Shapes, changed: &BTreeSet<String>) -> Result<(Shapes, Vec<String>), String> {
    let mut p = px(shapes);
    let notes = p.refit_workloads(changed)?;
    Ok((p.shapes, notes))
}

// Reference: spec §11.6 — the data file's calibrated cc1 times are the fits: re-fitting
// them by bisection lands within a few milliseconds of what `data/workloads.toml` records.
#[test]
fn refit_reproduces_the_recorded_calibrations() {
    let shapes = Shapes::builtin();
    for (w, id) in CALIBRATED_SIZES {
        let goal = paper_value(id).unwrap();
        let Refit::Fitted(s) = px(shapes.clone()).refit_cc1(&shapes, w, goal).unwrap() else {
            panic!("{w}: no fit");
        };
        let (fit, recorded) = (
            value(&s, w, "cc1_compute_ms"),
            value(&shapes, w, "cc1_compute_ms"),
        );
        assert!(
            (fit - recorded).abs() <= 1.0,
            "{w}: fitted {fit} ms, recorded {recorded} ms"
        );
    }
}

// Reference: spec §11.9 — every count of the sweep keeps the 3 % process row where a cc1
// time can, says so where none can, and the sweep at the assumed count is the table's row.
#[test]
fn sweep_keeps_the_calibration_or_says_it_cannot() {
    let shapes = Shapes::builtin();
    let sizes = px(shapes.clone()).make_sizes(&MAKE_SWEEP).unwrap();
    assert_eq!(sizes.len(), MAKE_SWEEP.len());
    for m in &sizes {
        if m.fitted {
            assert!((m.process_pct - 3.0).abs() <= 0.06, "{m:?}");
            assert!(m.cc1_compute_ms > 0.0, "{m:?}");
        } else {
            // Only too many jobs can make the 3 % unreachable: the run is too long even
            // with cc1 computing nothing.
            assert_eq!(m.cc1_compute_ms, 0.0, "{m:?}");
            assert!(m.process_pct < 3.0, "{m:?}");
        }
    }
    assert!(sizes.iter().any(|m| m.fitted) && sizes.iter().any(|m| !m.fitted));
    // More compilations after the migration, more residual dependency.
    for w in sizes.windows(2) {
        assert!(w[1].task_pct > w[0].task_pct, "{:?} then {:?}", w[0], w[1]);
    }
    let r = reproduce(&Costs::i386(), &shapes, 1).unwrap();
    let row = r.rows.iter().find(|r| r.id == "fig10-make-task").unwrap();
    let assumed = value(&shapes, "make", "jobs") as u32;
    let same = r.make_sizes.iter().find(|m| m.jobs == assumed).unwrap();
    assert!(
        (same.task_pct - row.simulated).abs() < 0.05,
        "{same:?} vs {}",
        row.simulated
    );
}

// Reference: spec §11.6 — impossible make sizes are errors, not panics; the fit's range
// ends are reported when no cc1 time gives the goal.
#[test]
fn impossible_sizes_are_refused() {
    let shapes = Shapes::builtin();
    let mut p = px(shapes.clone());
    for jobs in [0, JOBS_MAX + 1] {
        let e = p.make_with_jobs(jobs).unwrap_err();
        assert!(e.contains(&jobs.to_string()), "{e}");
    }
    let Refit::Unreachable(s, d) = p.refit_cc1(&shapes, "make", 90.0).unwrap() else {
        panic!("a 90 % process degradation fitted");
    };
    assert_eq!(value(&s, "make", "cc1_compute_ms"), 0.0);
    assert!(d < 90.0);
    let Refit::Unreachable(s, d) = p.refit_cc1(&shapes, "make", 0.01).unwrap() else {
        panic!("a 0.01 % process degradation fitted");
    };
    assert_eq!(value(&s, "make", "cc1_compute_ms"), CC1_COMPUTE_MAX_MS);
    assert!(d > 0.01);
    assert!(p.refit_cc1(&shapes, "troff", 3.0).is_err());
}

// Reference: spec §11.6 — `--set` overrides only assumed parameters, within range, and names
// what it refuses.
#[test]
fn set_overrides_assumptions_only() {
    let mut s = Shapes::builtin();
    s.set("make", "cc1_calls", 370.0).unwrap();
    assert_eq!(value(&s, "make", "cc1_calls"), 370.0);
    for (w, k, v, needle) in [
        ("make", "cc1_compute_ms", 5.0, "is calibrated"),
        ("make", "nope", 1.0, "no parameter 'nope'"),
        ("nope", "jobs", 1.0, "no workload 'nope'"),
        ("make", "jobs", 0.0, "out of range"),
        ("make", "cc1_calls", -1.0, "out of range"),
        ("make", "cc1_calls", SET_VALUE_MAX * 2.0, "out of range"),
        ("make", "cc1_calls", f64::NAN, "out of range"),
    ] {
        let e = s.clone().set(w, k, v).unwrap_err();
        assert!(e.contains(needle), "{w}.{k}={v}: {e}");
    }
}

// Reference: spec §11.6 — after an override the workload's calibrated size is re-fitted to
// its paper figure, and only that workload's: the calibrated rows still hold.
#[test]
fn overrides_are_refitted_to_the_calibrated_figure() {
    let mut s = Shapes::builtin();
    s.set("make", "cc1_calls", 200.0).unwrap();
    let changed: BTreeSet<String> = ["make".to_string()].into();
    let (fitted, notes) = refit(s, &changed).unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].starts_with("make.cc1_compute_ms"), "{notes:?}");
    assert_eq!(
        value(&fitted, "gcc", "cc1_compute_ms"),
        value(&Shapes::builtin(), "gcc", "cc1_compute_ms")
    );
    let (_, _, _, dp, _) = px(fitted).degradation("make").unwrap();
    assert!((dp - 3.0).abs() <= 0.06, "{dp}");
    // Nothing changed, nothing re-fitted.
    let (same, notes) = refit(Shapes::builtin(), &BTreeSet::new()).unwrap();
    assert!(notes.is_empty());
    assert_eq!(
        value(&same, "make", "cc1_compute_ms"),
        value(&Shapes::builtin(), "make", "cc1_compute_ms")
    );
    // An override no compute time can absorb is an error naming the figure.
    let mut s = Shapes::builtin();
    s.set("make", "jobs", 32.0).unwrap();
    let e = refit(s, &changed).unwrap_err();
    assert!(e.contains("fig10-make-process"), "{e}");
}

/// The built-in shapes with `key` set to `v` in every workload that runs the tool, re-fitted.
fn with_calls(key: &str, v: f64) -> Shapes {
    let mut s = Shapes::builtin();
    for w in ["gcc", "make", "small-make"] {
        s.set(w, key, v).unwrap();
    }
    let changed: BTreeSet<String> = ["gcc", "make", "small-make"]
        .iter()
        .map(|w| w.to_string())
        .collect();
    refit(s, &changed).unwrap().0
}

// Reference: spec §11.9 — the findings docs/reproducing-the-paper.md reports about the make
// miss, re-checked: as assumed exactly the make rows miss; cpp at 350 calls closes both
// without touching gcc-cc1's "little difference"; cc1 at 370 calls closes them but breaks it.
#[test]
fn the_documented_ways_to_close_the_make_gap() {
    let costs = Costs::i386();
    let missed = |s: &Shapes| -> Vec<String> {
        let r = reproduce(&costs, s, 1).unwrap();
        r.rows.into_iter().filter(|r| !r.ok).map(|r| r.id).collect()
    };
    assert_eq!(
        missed(&Shapes::builtin()),
        vec!["fig10-make-task".to_string(), "abstract-50".to_string()]
    );
    // gcc-cc1's task run over its process run.
    let cc1_ratio = |s: Shapes| {
        let (_, p, t, _, _) = px(s).degradation("gcc-cc1").unwrap();
        t / p
    };
    assert!((cc1_ratio(Shapes::builtin()) - 1.0).abs() < 0.05);
    let cpp = with_calls("cpp_calls", 350.0);
    assert!(missed(&cpp).is_empty(), "{:?}", missed(&cpp));
    assert!((cc1_ratio(cpp) - 1.0).abs() < 0.05);
    let cc1 = with_calls("cc1_calls", 370.0);
    assert!(missed(&cc1).is_empty(), "{:?}", missed(&cc1));
    assert!(cc1_ratio(cc1) > 1.4);
}
