//! Bad input to the trace parser: every class of fault is an error naming the file and the
//! 1-based line, and no input makes the parser panic.
// Reference: spec §12.5 (errors).

use std::path::Path;

use osfmig_model::presets::preset;
use osfmig_traces::generate::{generate, GenMode, GenOptions};
use osfmig_traces::parse::{parse_bytes, ParseError, Reason};
use proptest::prelude::*;

/// A valid trace of a few steps.
fn valid() -> String {
    let spec = &preset("tiny").unwrap()[0];
    let opts = GenOptions {
        mode: GenMode::Walk,
        count: 1,
        seed: 5,
        max_depth: 8,
        with_state: false,
    };
    let t = generate("tiny", spec, &opts).unwrap().traces.remove(0);
    assert!(t.text.lines().count() >= 4, "want a few events");
    t.text
}

fn lines() -> Vec<String> {
    valid().lines().map(String::from).collect()
}

fn join(lines: &[String]) -> String {
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

fn parse(text: &str) -> Result<(), ParseError> {
    parse_bytes(Path::new("dir/t.ndjson"), text.as_bytes()).map(|_| ())
}

fn fails(text: &str, line: usize) -> ParseError {
    let e = parse(text).expect_err("should be rejected");
    assert_eq!(e.line, line, "{e}");
    assert!(
        e.to_string().starts_with(&format!("dir/t.ndjson:{line}: ")),
        "{e}"
    );
    e
}

#[test]
fn the_valid_trace_parses() {
    parse(&valid()).unwrap();
}

#[test]
fn truncated_last_line() {
    let text = valid();
    let cut = &text[..text.len() - 10];
    let e = fails(cut, lines().len());
    assert_eq!(e.reason, Reason::Truncated);
}

#[test]
fn invalid_json() {
    let mut l = lines();
    l[2] = "{\"kind\": \"event\", oops}".into();
    let e = fails(&join(&l), 3);
    assert!(matches!(e.reason, Reason::InvalidJson(_)), "{e}");
    l[2] = "[1, 2]".into();
    assert!(matches!(fails(&join(&l), 3).reason, Reason::InvalidJson(_)));
}

#[test]
fn unknown_action_id() {
    let mut l = lines();
    l[1] = l[1].replacen("\"action\":\"", "\"action\":\"X", 1);
    let e = fails(&join(&l), 2);
    assert!(matches!(e.reason, Reason::UnknownAction(_)), "{e}");
    // A known ID with a rule that is not one of its own.
    let mut l = lines();
    let rule = l[1]
        .split("\"rule\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    l[1] = l[1].replace(&format!("\"rule\":\"{rule}\""), "\"rule\":\"R6 Nothing\"");
    assert!(matches!(
        fails(&join(&l), 2).reason,
        Reason::UnknownAction(_)
    ));
}

#[test]
fn wrong_format_version() {
    let mut l = lines();
    l[0] = l[0].replace("\"format_version\":1", "\"format_version\":2");
    let e = fails(&join(&l), 1);
    assert!(matches!(e.reason, Reason::WrongVersion(_)), "{e}");
    assert!(e.to_string().contains("wrong format version: 2"), "{e}");
}

#[test]
fn events_out_of_order() {
    let mut l = lines();
    l.swap(2, 3);
    let e = fails(&join(&l), 3);
    assert!(matches!(e.reason, Reason::OutOfOrder(_)), "{e}");
    let mut l = lines();
    l.remove(1);
    assert!(matches!(fails(&join(&l), 2).reason, Reason::OutOfOrder(_)));
}

#[test]
fn missing_header() {
    let l = lines();
    let e = fails(&join(&l[1..]), 1);
    assert_eq!(e.reason, Reason::MissingHeader);
    assert_eq!(fails("", 1).reason, Reason::MissingHeader);
    let mut l = lines();
    l.insert(2, l[0].clone());
    assert!(matches!(
        fails(&join(&l), 3).reason,
        Reason::UnexpectedKind(_)
    ));
}

#[test]
fn missing_field_and_blank_line() {
    let mut l = lines();
    l[1] = l[1].replacen("\"actor\":", "\"actress\":", 1);
    assert!(matches!(fails(&join(&l), 2).reason, Reason::BadField(_)));
    let mut l = lines();
    l.insert(2, String::new());
    assert_eq!(fails(&join(&l), 3).reason, Reason::BlankLine);
}

#[test]
fn error_messages() {
    let mut cases = Vec::new();
    let text = valid();
    cases.push(parse(&text[..text.len() - 3]).unwrap_err().to_string());
    let mut l = lines();
    l[0] = l[0].replace("\"format_version\":1", "\"format_version\":7");
    cases.push(parse(&join(&l)).unwrap_err().to_string());
    let mut l = lines();
    l[1] = "{\"kind\":\"event\",\"action\":\"Z9\"}".into();
    cases.push(parse(&join(&l)).unwrap_err().to_string());
    let mut l = lines();
    l.swap(1, 2);
    cases.push(parse(&join(&l)).unwrap_err().to_string());
    insta::assert_snapshot!(cases.join("\n"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_bytes(Path::new("fuzz.ndjson"), &bytes);
    }

    #[test]
    fn mutated_traces_never_panic(
        cut in 0usize..2000,
        pos in 0usize..2000,
        byte in any::<u8>(),
        drop_line in 0usize..12,
    ) {
        let text = valid();
        let mut bytes = text.clone().into_bytes();
        let n = bytes.len();
        bytes[pos % n] = byte;
        let _ = parse_bytes(Path::new("m.ndjson"), &bytes);
        let _ = parse_bytes(Path::new("m.ndjson"), &text.as_bytes()[..cut % (n + 1)]);
        let mut l = lines();
        if drop_line < l.len() {
            l.remove(drop_line);
        }
        let r = parse_bytes(Path::new("m.ndjson"), join(&l).as_bytes());
        if drop_line < lines().len() {
            // Dropping the header or an event that is not the last is always caught.
            if drop_line + 1 < lines().len() {
                prop_assert!(r.is_err());
            }
        }
    }
}
