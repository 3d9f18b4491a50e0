//! Rocket 0.5 adapter for Crochet.
