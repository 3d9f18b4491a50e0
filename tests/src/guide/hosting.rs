//! The guide's chapters on hosting blocking code in async servers, the
//! porting table and the "which tool when" page.

/// Hosting blocking apps in async servers (`docs/guide/hosting.md`).
#[doc = include_str!("../../../docs/guide/hosting.md")]
pub struct Hosting;

/// Porting from Python Crochet and asgiref (`docs/porting.md`).
#[doc = include_str!("../../../docs/porting.md")]
pub struct Porting;

/// Which tool when (`docs/which-tool.md`).
#[doc = include_str!("../../../docs/which-tool.md")]
pub struct WhichTool;
