//! actix-web adapter for Crochet.
