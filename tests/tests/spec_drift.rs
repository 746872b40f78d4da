//! Spec tables against the code (issue 12's drift list): each test reads one table or list of
//! `spec/` and compares it with the code's own registry, both ways, so that a rule, property,
//! reachability item, fair step, configuration field, run or mutant added on one side only
//! fails here with the names that differ.

use std::collections::BTreeSet;
use std::path::PathBuf;

use osfmig_model::config::Config;
use osfmig_model::liveness::fairness_key;
use osfmig_model::model::{Action, RULES};
use osfmig_model::mutants::CATALOG;
use osfmig_model::presets::{catalog, preset};
use osfmig_model::properties::{reachability_items, safety_properties};
use osfmig_model::OsfModel;
use stateright::Model;

fn spec(file: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "spec", file]
        .iter()
        .collect();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The lines of the section whose heading starts with `heading` (e.g. `## §6.1`), up to the
/// next heading of the same or a higher level.
fn section<'a>(text: &'a str, heading: &str) -> Vec<&'a str> {
    let level = heading.chars().take_while(|c| *c == '#').count();
    let mut lines = text.lines();
    lines
        .by_ref()
        .find(|l| l.starts_with(heading))
        .unwrap_or_else(|| panic!("no heading `{heading}`"));
    lines
        .take_while(|l| {
            let h = l.chars().take_while(|c| *c == '#').count();
            h == 0 || h > level || !l[h..].starts_with(' ')
        })
        .collect()
}

/// The first cells of the body rows of every table in `lines` (header and separator rows
/// left out), backticks removed.
fn first_cells(lines: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if !l.starts_with('|') || l.starts_with("|---") {
            continue;
        }
        if lines.get(i + 1).is_some_and(|n| n.starts_with("|---")) {
            continue;
        }
        let cell = l.split('|').nth(1).unwrap_or("").trim().replace('`', "");
        out.push(cell);
    }
    out
}

/// Asserts that the two sets are equal, naming what each side has alone.
fn same(what: &str, spec: BTreeSet<String>, code: BTreeSet<String>) {
    let only_spec: Vec<_> = spec.difference(&code).collect();
    let only_code: Vec<_> = code.difference(&spec).collect();
    assert!(
        only_spec.is_empty() && only_code.is_empty(),
        "{what}: in the spec only: {only_spec:?}; in the code only: {only_code:?}"
    );
}

fn set<I: IntoIterator<Item = S>, S: Into<String>>(i: I) -> BTreeSet<String> {
    i.into_iter().map(Into::into).collect()
}

// Reference: spec §6.1. The safety table lists exactly the properties of
// `properties::safety_properties`.
#[test]
fn safety_table_matches_the_registry() {
    let text = spec("06-properties.md");
    let table = first_cells(&section(&text, "## §6.1"));
    let code = safety_properties().into_iter().map(|(p, _)| p.id);
    same("spec §6.1 safety properties", set(table), set(code));
}

// Reference: spec §6.3. The reachability table lists exactly the items of
// `properties::reachability_items`.
#[test]
fn reachability_table_matches_the_registry() {
    let text = spec("06-properties.md");
    let table = first_cells(&section(&text, "## §6.3"));
    let code = reachability_items(&Config::default())
        .into_iter()
        .map(|(_, p)| p.id);
    same("spec §6.3 reachability items", set(table), set(code));
}

// Reference: spec §6.2. The liveness table lists exactly the obligations some catalog run
// checks (`liveness::properties`).
#[test]
fn liveness_table_matches_the_obligations() {
    let text = spec("06-properties.md");
    let table = first_cells(&section(&text, "## §6.2"));
    let code = catalog()
        .into_iter()
        .flat_map(|r| osfmig_model::liveness::properties(&r.config))
        .map(|(id, _)| id);
    same("spec §6.2 liveness properties", set(table), set(code));
}

/// The name of an action's variant (`Freeze` for `Freeze { pid: 0 }`).
fn variant(a: &Action) -> String {
    let d = format!("{a:?}");
    d.split([' ', '{', '(']).next().unwrap_or("").to_string()
}

// Reference: spec §6.2. The steps spec §6.2 calls weakly fair are exactly those that
// `liveness::fairness_key` gives a key, besides message delivery. The code's side is read
// off the actions enabled in the first states of every `ci` run, which together take every
// kind of step.
#[test]
fn fair_steps_match_fairness_key() {
    let text = spec("06-properties.md");
    let lines = section(&text, "## §6.2");
    // The bullets of the paragraph **Fairness.**, continuation lines joined; the first is
    // message delivery, the others name the steps in backticks.
    let mut bullets: Vec<String> = Vec::new();
    for l in lines
        .iter()
        .skip_while(|l| !l.starts_with("**Fairness.**"))
        .take_while(|l| !l.starts_with("*No fairness*"))
    {
        if let Some(b) = l.strip_prefix("- ") {
            bullets.push(b.to_string());
        } else if let (Some(last), true) = (bullets.last_mut(), l.starts_with("  ")) {
            last.push_str(l);
        }
    }
    assert!(bullets.len() >= 2, "spec §6.2: no list of fair steps");
    let mut listed = BTreeSet::new();
    for b in bullets.iter().filter(|b| !b.contains("message delivery")) {
        for (i, part) in b.split('`').enumerate() {
            if i % 2 == 1 && part.chars().all(|c| c.is_ascii_alphanumeric()) {
                listed.insert(part.to_string());
            }
        }
    }
    let (mut fair, mut seen) = (BTreeSet::new(), BTreeSet::new());
    for run in preset("ci").unwrap() {
        let model = OsfModel::new(run.config.clone());
        let mut queue: std::collections::VecDeque<_> = model.init_states().into();
        let mut visited = std::collections::HashSet::new();
        let mut acts = Vec::new();
        while let Some(st) = queue.pop_front() {
            if visited.len() >= 4000 || !visited.insert(st.clone()) {
                continue;
            }
            acts.clear();
            model.actions(&st, &mut acts);
            for a in &acts {
                let name = variant(a);
                if !matches!(a, Action::Deliver { .. }) {
                    seen.insert(name.clone());
                    if fairness_key(&st, a).is_some() {
                        fair.insert(name);
                    }
                }
                if let Some(next) = model.next_state(&st, a.clone()) {
                    queue.push_back(next);
                }
            }
        }
    }
    // Every kind of step was seen, so the fair ones found are all of them.
    let unseen: Vec<_> = listed.difference(&seen).collect();
    assert!(
        unseen.is_empty(),
        "fair steps no ci run enables early: {unseen:?}"
    );
    same("spec §6.2 weakly fair steps", listed, fair);
}

// Reference: spec §8.1. The two tables of `Config`'s fields (bounds, switches) list exactly
// its fields.
#[test]
fn config_tables_match_config_fields() {
    let text = spec("08-configuration.md");
    let table = first_cells(&section(&text, "## §8.1"));
    let json = serde_json::to_value(Config::default()).unwrap();
    let code = json.as_object().unwrap().keys().cloned();
    same("spec §8.1 Config fields", set(table), set(code));
}

// Reference: spec §8.2. The table of catalog runs lists exactly `presets::catalog`.
#[test]
fn run_table_matches_the_catalog() {
    let text = spec("08-configuration.md");
    let table = first_cells(&section(&text, "## §8.2"));
    let code = catalog().into_iter().map(|r| r.name);
    same("spec §8.2 catalog runs", set(table), set(code));
}

// Reference: spec §7. The mutant tables list exactly `mutants::CATALOG`, each with the
// property and the run the catalog names.
#[test]
fn mutant_tables_match_the_catalog() {
    let text = spec("07-mutants.md");
    let lines: Vec<&str> = text.lines().collect();
    let rows: BTreeSet<String> = lines
        .iter()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let c: Vec<String> = l.split('|').map(|c| c.trim().replace('`', "")).collect();
            format!("{} {} {}", c[1], c[4], c[5])
        })
        .collect();
    let code = CATALOG
        .iter()
        .map(|m| format!("{} {} {}", m.name, m.catches, m.run));
    same("spec §7 mutants (name, property, run)", rows, set(code));
}

/// The rule IDs in the headings of spec §3 (`#### R7 Refuse` gives `R7`, `### §3.3.4 G1
/// GroupMigration and G2 AllowDisallow` gives `G1` and `G2`).
fn heading_ids(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| l.starts_with("###"))
        .flat_map(|l| l.split([' ', ',', ':', '(', ')']))
        .filter(|id| {
            let id = id.trim_end_matches('\'');
            id.len() >= 2
                && id.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && id.chars().last().is_some_and(|c| c.is_ascii_digit())
                && id.chars().all(|c| c.is_ascii_alphanumeric())
        })
        .map(str::to_string)
        .collect()
}

// Reference: spec §3, §5. Every label of `model::RULES` (`R7 Refuse`) is written out in spec §3,
// or for a crash step in spec §5; and every rule ID in a heading of spec §3 is the ID of some
// label.
#[test]
fn rule_labels_match_rules() {
    let rules = spec("03-rules.md");
    let crashes = spec("05-crashes.md");
    let unwritten: Vec<_> = RULES
        .iter()
        .filter(|r| !rules.contains(**r) && !crashes.contains(**r))
        .collect();
    assert!(
        unwritten.is_empty(),
        "rule labels of model::RULES that spec §3 and §5 never write out: {unwritten:?}"
    );
    let ids: BTreeSet<String> = RULES
        .iter()
        .map(|r| r.split_whitespace().next().unwrap().to_string())
        .collect();
    let unknown: Vec<_> = heading_ids(&rules)
        .into_iter()
        .filter(|h| !ids.contains(h))
        .collect();
    assert!(
        unknown.is_empty(),
        "rule IDs in spec §3's headings that no label of model::RULES has: {unknown:?}"
    );
}
