//! Coverage-directed generation (`traces generate --mode cover`): the traces of a run fire
//! every rule the run fires in exhaustive checking and reach every reachability item it
//! registers.
// Reference: spec §12.6 (generation), §3 (rules), §6.3 (reachability items).

use std::collections::BTreeSet;
use std::path::Path;

use osfmig_model::liveness::{explore, DEFAULT_STATE_LIMIT};
use osfmig_model::model::rule_of;
use osfmig_model::presets::find_run;
use osfmig_model::{OsfModel, Sys};
use osfmig_traces::cover::{cover_paths, items_of, CoverBudget, Target};
use osfmig_traces::generate::{generate, GenMode, GenOptions};
use osfmig_traces::parse::parse_bytes;

/// Small runs with crashes (C3, C* DetectCrash), P11's hold and refusals.
const RUNS: &[&str] = &["crash-cor", "p11-fixed", "refusal-queue"];

fn opts(count: u64) -> GenOptions {
    GenOptions {
        mode: GenMode::Cover,
        count,
        seed: 1,
        max_depth: 200,
        with_state: true,
    }
}

// Reference: spec §12.6. Every rule of the run's exhaustive exploration and every registered
// item is covered, checked by replaying the paths on the model (not by trusting the report).
#[test]
fn cover_reaches_every_rule_and_item_the_run_can() {
    for name in RUNS {
        let spec = find_run(name).unwrap();
        let model = OsfModel::new(spec.config.clone());
        let explored = explore(&model, DEFAULT_STATE_LIMIT);
        assert!(explored.complete, "{name}: exploration cut");
        let fired: BTreeSet<&str> = explored.rule_hits.keys().copied().collect();
        let items = items_of(&spec);
        assert!(!items.is_empty(), "{name} registers no item");

        let c = cover_paths(&spec, 1000, 1, 200, &CoverBudget::default()).unwrap();
        let mut rules = BTreeSet::new();
        let mut reached = BTreeSet::new();
        for path in &c.paths {
            let mut st = Sys::initial(&spec.config);
            for a in path {
                rules.insert(rule_of(&st, a, &model.cfg));
                st = model.step(&st, a).expect("path step enabled");
                assert!(st.net.len() <= model.cfg.queue_len_max as usize);
                for p in &items {
                    if (p.check)(&model, &st) {
                        reached.insert(p.id);
                    }
                }
            }
        }
        let missed_rules: Vec<_> = fired.difference(&rules).collect();
        assert!(
            missed_rules.is_empty(),
            "{name}: rules not covered {missed_rules:?}"
        );
        let extra: Vec<_> = rules.difference(&fired).collect();
        assert!(
            extra.is_empty(),
            "{name}: rules beyond exploration {extra:?}"
        );
        let missed_items: Vec<_> = items.iter().filter(|p| !reached.contains(p.id)).collect();
        assert!(
            missed_items.is_empty(),
            "{name}: items not reached {:?}",
            missed_items.iter().map(|p| p.id).collect::<Vec<_>>()
        );
        // The report agrees: the search was complete and what is uncovered cannot happen.
        let r = &c.report;
        assert!(r.bfs_complete, "{name}");
        assert_eq!(r.items_covered(), items.len(), "{name}");
        assert_eq!(r.rules_covered(), fired.len(), "{name}");
        for (t, why) in &r.uncovered {
            assert!(matches!(t, Target::Rule(_)), "{name}: {t:?} {why}");
            assert!(!fired.contains(t.id()), "{name}: {t:?}");
        }
        assert!(r.summary().contains("complete search"), "{}", r.summary());
    }
}

// Reference: spec §12.6. Cover traces are named `<run>-cover-<n>.ndjson`, say `cover` in the
// header, parse, and the same arguments give byte-identical files.
#[test]
fn cover_files_are_named_parsed_and_deterministic() {
    let spec = find_run("crash-cor").unwrap();
    let a = generate("ci", &spec, &opts(1000)).unwrap();
    let b = generate("ci", &spec, &opts(1000)).unwrap();
    assert!(!a.traces.is_empty());
    assert_eq!(a.traces.len(), b.traces.len());
    for (n, (x, y)) in a.traces.iter().zip(&b.traces).enumerate() {
        assert_eq!(x.file_name, format!("crash-cor-cover-{n:04}.ndjson"));
        assert_eq!(x.text, y.text);
        let t = parse_bytes(Path::new(&x.file_name), x.text.as_bytes()).unwrap();
        assert_eq!(t.header.generator, "cover");
        assert_eq!(t.header.seed, Some(1));
        assert_eq!(t.events.len(), x.rules.len());
    }
    assert!(a.cover.is_some());
}

// Reference: spec §12.6. `--count` caps the traces per run; what only the dropped traces
// covered is reported as cut by it.
#[test]
fn count_caps_cover_traces() {
    let spec = find_run("crash-cor").unwrap();
    let full = generate("ci", &spec, &opts(1000)).unwrap();
    assert!(full.traces.len() > 1);
    let one = generate("ci", &spec, &opts(1)).unwrap();
    assert_eq!(one.traces.len(), 1);
    let r = one.cover.unwrap();
    assert!(r
        .uncovered
        .iter()
        .any(|(_, why)| why.contains("cut by --count")));
}

// Reference: spec §12.6. With a search cut early, the biased walks and the re-rooted searches
// still reach every item, without the exhaustive check, and stay deterministic.
#[test]
fn cut_search_falls_back_on_walks_and_rerooted_searches() {
    let budget = CoverBudget {
        bfs_states: 100,
        walks: 300,
        rebases: 16,
        rebase_states: 2_000,
        check_fallback: false,
    };
    for name in RUNS {
        let spec = find_run(name).unwrap();
        let a = cover_paths(&spec, 1000, 7, 200, &budget).unwrap();
        let b = cover_paths(&spec, 1000, 7, 200, &budget).unwrap();
        assert_eq!(a.paths, b.paths, "{name}");
        let r = &a.report;
        assert!(!r.bfs_complete && r.walks > 0, "{name}: {}", r.summary());
        assert_eq!(r.items_covered(), r.items.len(), "{name}: {}", r.summary());
        assert!(r.summary().contains("search cut"), "{}", r.summary());
    }
}
