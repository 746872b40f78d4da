//! Parsing and format validation of trace files (spec §12.5). Every error names the file and
//! the 1-based line it was found on; nothing here panics on bad input.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::format::{action_id, is_known_action, is_known_rule, Event, Header, FORMAT_VERSION};

/// Why a trace file is not a valid trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The file could not be read.
    Io(String),
    /// The file is empty, or its first line is not a header.
    MissingHeader,
    /// The last line has no terminating newline: the file was cut short.
    Truncated,
    /// An empty line between lines.
    BlankLine,
    /// A line that is not UTF-8.
    NotUtf8,
    /// A line that is not one JSON object.
    InvalidJson(String),
    /// The header's `format_version` is not [`FORMAT_VERSION`].
    WrongVersion(String),
    /// A line whose `kind` is neither `header` nor `event`, or a second header.
    UnexpectedKind(String),
    /// A required field is missing or has the wrong type.
    BadField(String),
    /// The event's `action` (or `rule`) names no rule of the spec.
    UnknownAction(String),
    /// An event's `step` is not the previous one plus one, or its time goes backwards.
    OutOfOrder(String),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Io(e) => write!(f, "cannot read: {e}"),
            Reason::MissingHeader => write!(f, "missing header: the first line must be the header"),
            Reason::Truncated => write!(f, "truncated line: no newline at the end of the file"),
            Reason::BlankLine => write!(f, "blank line"),
            Reason::NotUtf8 => write!(f, "invalid UTF-8"),
            Reason::InvalidJson(e) => write!(f, "invalid JSON: {e}"),
            Reason::WrongVersion(v) => write!(
                f,
                "wrong format version: {v} (this tool reads format version {FORMAT_VERSION})"
            ),
            Reason::UnexpectedKind(k) => write!(f, "unexpected line kind: {k}"),
            Reason::BadField(e) => write!(f, "bad field: {e}"),
            Reason::UnknownAction(a) => write!(f, "unknown action ID: {a}"),
            Reason::OutOfOrder(e) => write!(f, "event out of order: {e}"),
        }
    }
}

/// A parse error: file, 1-based line (0 when the whole file is at fault) and reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub path: PathBuf,
    pub line: usize,
    pub reason: Reason,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.reason)
    }
}

impl std::error::Error for ParseError {}

/// A trace as parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    pub header: Header,
    pub events: Vec<Event>,
}

/// Reads and parses one trace file.
pub fn parse_file(path: &Path) -> Result<Trace, ParseError> {
    let bytes = std::fs::read(path).map_err(|e| ParseError {
        path: path.to_path_buf(),
        line: 0,
        reason: Reason::Io(e.to_string()),
    })?;
    parse_bytes(path, &bytes)
}

/// Parses the bytes of a trace file; `path` is only used in errors.
pub fn parse_bytes(path: &Path, bytes: &[u8]) -> Result<Trace, ParseError> {
    let err = |line: usize, reason: Reason| ParseError {
        path: path.to_path_buf(),
        line,
        reason,
    };
    if bytes.is_empty() {
        return Err(err(1, Reason::MissingHeader));
    }
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    // A well-formed file ends in a newline, which leaves one empty piece after it.
    let complete = lines.last().is_some_and(|l| l.is_empty());
    if complete {
        lines.pop();
    }
    let last = lines.len();
    let mut header: Option<Header> = None;
    let mut events: Vec<Event> = Vec::new();
    let mut prev_time: Option<u64> = None;
    for (i, raw) in lines.iter().enumerate() {
        let lineno = i + 1;
        if !complete && lineno == last {
            return Err(err(lineno, Reason::Truncated));
        }
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(err(
                lineno,
                if lineno == 1 {
                    Reason::MissingHeader
                } else {
                    Reason::BlankLine
                },
            ));
        }
        let text = std::str::from_utf8(raw).map_err(|_| err(lineno, Reason::NotUtf8))?;
        let value: Value = serde_json::from_str(text)
            .map_err(|e| err(lineno, Reason::InvalidJson(e.to_string())))?;
        let Some(obj) = value.as_object() else {
            return Err(err(
                lineno,
                Reason::InvalidJson("a line must be one JSON object".into()),
            ));
        };
        let kind = obj.get("kind").and_then(Value::as_str);
        if lineno == 1 {
            if kind != Some("header") {
                return Err(err(lineno, Reason::MissingHeader));
            }
            match obj.get("format_version") {
                Some(Value::Number(n)) if n.as_u64() == Some(FORMAT_VERSION as u64) => {}
                Some(v) => return Err(err(lineno, Reason::WrongVersion(v.to_string()))),
                None => {
                    return Err(err(
                        lineno,
                        Reason::BadField("header has no format_version".into()),
                    ))
                }
            }
            let h: Header = serde_json::from_value(value.clone())
                .map_err(|e| err(lineno, Reason::BadField(e.to_string())))?;
            header = Some(h);
            continue;
        }
        match kind {
            Some("event") => {}
            Some("header") => {
                return Err(err(
                    lineno,
                    Reason::UnexpectedKind("a second header".into()),
                ))
            }
            Some(k) => return Err(err(lineno, Reason::UnexpectedKind(format!("'{k}'")))),
            None => {
                return Err(err(
                    lineno,
                    Reason::BadField("line has no string field 'kind'".into()),
                ))
            }
        }
        // The action ID is checked before the rest, so that an unknown one is named as such.
        match obj.get("action").and_then(Value::as_str) {
            Some(a) if !is_known_action(a) => {
                return Err(err(lineno, Reason::UnknownAction(format!("'{a}'"))))
            }
            _ => {}
        }
        let ev: Event = serde_json::from_value(value.clone())
            .map_err(|e| err(lineno, Reason::BadField(e.to_string())))?;
        if !is_known_rule(&ev.rule) || action_id(&ev.rule) != ev.action {
            return Err(err(
                lineno,
                Reason::UnknownAction(format!(
                    "rule '{}' is not a rule of action '{}'",
                    ev.rule, ev.action
                )),
            ));
        }
        if !ev.params.is_object() {
            return Err(err(
                lineno,
                Reason::BadField("params must be a JSON object".into()),
            ));
        }
        let expected = events.len() as u64;
        if ev.step != expected {
            return Err(err(
                lineno,
                Reason::OutOfOrder(format!("step {} where step {expected} was due", ev.step)),
            ));
        }
        if let (Some(p), Some(t)) = (prev_time, ev.time_ns) {
            if t < p {
                return Err(err(
                    lineno,
                    Reason::OutOfOrder(format!("time_ns {t} before the previous event's {p}")),
                ));
            }
        }
        if ev.time_ns.is_some() {
            prev_time = ev.time_ns;
        }
        events.push(ev);
    }
    let header = header.ok_or_else(|| err(1, Reason::MissingHeader))?;
    Ok(Trace { header, events })
}

/// The trace files a path names: the file itself, or the `*.ndjson` files of a directory in
/// name order.
pub fn trace_files(path: &Path) -> Result<Vec<PathBuf>, ParseError> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let io = |e: std::io::Error| ParseError {
        path: path.to_path_buf(),
        line: 0,
        reason: Reason::Io(e.to_string()),
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(io)? {
        let p = entry.map_err(io)?.path();
        if p.extension().is_some_and(|e| e == "ndjson") && p.is_file() {
            files.push(p);
        }
    }
    files.sort();
    Ok(files)
}
