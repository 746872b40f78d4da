//! # osfmig-traces: the trace format, its parser, and trace generation (spec §12)
//!
//! A trace is an NDJSON file: a header line, then one event per step. [`format`] defines the
//! lines, [`parse`] reads and validates a file (errors name file and line), [`generate`]
//! produces traces from the model by seeded random walks, bounded exhaustive enumeration or
//! coverage-directed search ([`cover`]).

pub mod bridge;
pub mod corpus;
pub mod cover;
pub mod coverage;
pub mod direct;
pub mod fields;
pub mod format;
pub mod generate;
pub mod itf;
pub mod naming;
pub mod parse;
pub mod programs;
pub mod projection;
pub mod record;
pub mod replay;
pub mod shrink;
pub mod validate;

pub use format::{Event, Header, FORMAT_VERSION};
pub use parse::{parse_bytes, parse_file, ParseError, Reason, Trace};
