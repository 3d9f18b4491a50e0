//! Misuse of the attributes is a compile error with a clear message at the
//! right tokens; the messages are pinned in `tests/ui/*.stderr`.
//!
//! Regenerate after an intended change with
//! `TRYBUILD=overwrite cargo test -p crochet-core --test compile_fail`.

#[test]
fn attribute_misuse_is_a_clear_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
