//! The attributes' arguments: `timeout = ..`, `reactor = ..`, `async_name = ..`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Ident, Lit, MetaNameValue, Token};

use crate::duration;

/// Which attribute is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    WaitFor,
    RunInReactor,
}

impl Kind {
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Kind::WaitFor => "#[wait_for]",
            Kind::RunInReactor => "#[run_in_reactor]",
        }
    }
}

/// What to call the async original.
pub(crate) enum AsyncName {
    /// `<name>_async`.
    Default,
    Named(Ident),
    /// `async_name = false`: no async original (trait impls).
    Omitted,
}

pub(crate) struct Args {
    /// A `Duration` expression, for `#[wait_for]`.
    pub(crate) timeout: Option<TokenStream>,
    pub(crate) reactor: Option<Expr>,
    pub(crate) async_name: AsyncName,
}

pub(crate) fn parse(kind: Kind, tokens: TokenStream) -> syn::Result<Args> {
    let pairs = Punctuated::<MetaNameValue, Token![,]>::parse_terminated
        .parse2(tokens.clone())
        .map_err(|err| {
            syn::Error::new(
                err.span(),
                format!(
                    "{} takes `name = value` arguments, as in {}",
                    kind.attribute(),
                    example(kind)
                ),
            )
        })?;
    let mut args = Args {
        timeout: None,
        reactor: None,
        async_name: AsyncName::Default,
    };
    for pair in pairs {
        let name = pair
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        match (name.as_str(), kind) {
            ("timeout", Kind::WaitFor) => {
                if args.timeout.is_some() {
                    return Err(syn::Error::new_spanned(
                        &pair.path,
                        "`timeout` is given twice",
                    ));
                }
                args.timeout = Some(timeout(&pair.value)?);
            }
            ("timeout", Kind::RunInReactor) => {
                return Err(syn::Error::new_spanned(
                    &pair.path,
                    "#[run_in_reactor] takes no timeout: the function returns at once; \
                     pass the timeout to `EventualResult::wait` instead",
                ));
            }
            ("reactor", _) => args.reactor = Some(pair.value),
            ("async_name", _) => args.async_name = async_name(&pair.value)?,
            _ => {
                return Err(syn::Error::new_spanned(
                    &pair.path,
                    format!(
                        "unknown argument `{}` for {}; it takes {}",
                        pair.path.to_token_stream().to_string().replace(' ', ""),
                        kind.attribute(),
                        match kind {
                            Kind::WaitFor => "`timeout`, `reactor` and `async_name`",
                            Kind::RunInReactor => "`reactor` and `async_name`",
                        }
                    ),
                ));
            }
        }
    }
    if kind == Kind::WaitFor && args.timeout.is_none() {
        return Err(syn::Error::new(
            if tokens.is_empty() {
                Span::call_site()
            } else {
                tokens.span()
            },
            "#[wait_for] needs a timeout: every wait is bounded. \
             Write #[wait_for(timeout = \"10s\")] or #[wait_for(timeout = Duration::from_secs(10))]",
        ));
    }
    Ok(args)
}

fn example(kind: Kind) -> &'static str {
    match kind {
        Kind::WaitFor => "#[wait_for(timeout = \"10s\")]",
        Kind::RunInReactor => "#[run_in_reactor(reactor = my_reactor)]",
    }
}

/// `"10s"` becomes a `Duration` literal; any other expression must be a
/// `Duration` and is checked where it stands.
fn timeout(value: &Expr) -> syn::Result<TokenStream> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) => {
            let parsed = duration::parse(&text.value())
                .map_err(|why| syn::Error::new_spanned(text, format!("bad timeout: {why}")))?;
            if parsed.is_zero() {
                return Err(syn::Error::new_spanned(
                    text,
                    "bad timeout: zero would fail every call that does not finish at once",
                ));
            }
            let secs = parsed.as_secs();
            let nanos = parsed.subsec_nanos();
            Ok(quote!(::core::time::Duration::new(#secs, #nanos)))
        }
        Expr::Lit(ExprLit { lit, .. }) => Err(syn::Error::new_spanned(
            lit,
            "bad timeout: write a duration such as \"10s\" or \"250ms\", \
             or a `Duration` expression",
        )),
        other => Ok(quote_spanned!(other.span()=> ::crochet_core::__private::timeout(#other))),
    }
}

fn async_name(value: &Expr) -> syn::Result<AsyncName> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(flag),
            ..
        }) if !flag.value => Ok(AsyncName::Omitted),
        Expr::Path(path) => match path.path.get_ident() {
            Some(ident) => Ok(AsyncName::Named(ident.clone())),
            None => Err(syn::Error::new_spanned(
                path,
                "`async_name` must be a plain function name, without a path",
            )),
        },
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) => syn::parse_str::<Ident>(&text.value())
            .map(AsyncName::Named)
            .map_err(|_| syn::Error::new_spanned(text, "`async_name` must be a function name")),
        other => Err(syn::Error::new_spanned(
            other,
            "`async_name` takes a function name (async_name = lookup_async) \
             or `false` to generate no async original (needed in trait impls)",
        )),
    }
}
