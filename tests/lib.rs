//! Integration tests for osfmig live in `tests/`, one file per spec section.
