//! `#[wait_for]` and `#[run_in_reactor]`: Python Crochet's decorators as
//! attribute macros. Use them through `crochet-core` (feature `macros`, on
//! by default), which documents them with examples:
//! `crochet_core::wait_for` and `crochet_core::run_in_reactor` (the
//! attributes share their names with the functions they call).
// No unsafe code at all here (the workspace only denies it, for the two
// audited blocks in crochet-core).
#![forbid(unsafe_code)]

mod args;
mod duration;
mod expand;

use proc_macro::TokenStream;

use crate::args::Kind;

/// Turns an `async fn` into a blocking `fn` returning
/// `Result<T, crochet_core::Error>`; see `crochet_core::wait_for`.
#[proc_macro_attribute]
pub fn wait_for(args: TokenStream, item: TokenStream) -> TokenStream {
    attribute(Kind::WaitFor, args, item)
}

/// Turns an `async fn` into a `fn` returning
/// `crochet_core::EventualResult<T>`; see `crochet_core::run_in_reactor`.
#[proc_macro_attribute]
pub fn run_in_reactor(args: TokenStream, item: TokenStream) -> TokenStream {
    attribute(Kind::RunInReactor, args, item)
}

fn attribute(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let expanded = args::parse(kind, args.into()).and_then(|args| {
        let item = syn::parse::<syn::ItemFn>(item.clone()).map_err(|err| {
            syn::Error::new(
                err.span(),
                format!(
                    "{} goes on a function with a body: `async fn name(..) -> T {{ .. }}`",
                    kind.attribute()
                ),
            )
        })?;
        expand::expand(kind, args, item)
    });
    match expanded {
        Ok(tokens) => tokens.into(),
        Err(err) => {
            // Keep the original item so that the only error is ours.
            let mut out: proc_macro2::TokenStream = err.to_compile_error();
            out.extend(proc_macro2::TokenStream::from(item));
            out.into()
        }
    }
}
