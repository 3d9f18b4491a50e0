//! The guide's chapters on crochet-core: calling async code from blocking
//! code.

/// `docs/guide/setup.md`
#[doc = include_str!("../../../docs/guide/setup.md")]
pub struct Setup;

/// `docs/guide/wait-for.md`
#[doc = include_str!("../../../docs/guide/wait-for.md")]
pub struct WaitFor;

/// `docs/guide/eventual-results.md`
#[doc = include_str!("../../../docs/guide/eventual-results.md")]
pub struct EventualResults;

/// `docs/guide/stash.md`
#[doc = include_str!("../../../docs/guide/stash.md")]
pub struct Stash;

/// `docs/guide/shutdown.md`
#[doc = include_str!("../../../docs/guide/shutdown.md")]
pub struct Shutdown;

/// `docs/guide/async-contexts.md`
#[doc = include_str!("../../../docs/guide/async-contexts.md")]
pub struct AsyncContexts;

/// `docs/guide/logging.md`
#[doc = include_str!("../../../docs/guide/logging.md")]
pub struct Logging;

/// `docs/guide/testing.md`
#[doc = include_str!("../../../docs/guide/testing.md")]
pub struct Testing;

/// `docs/guide/known-issues.md`
#[doc = include_str!("../../../docs/guide/known-issues.md")]
pub struct KnownIssues;
