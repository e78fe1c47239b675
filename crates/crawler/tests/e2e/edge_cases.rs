//! End-to-end edge cases of the real web, each crawled by the distributed roles (two
//! fetcher workers) from a site served on loopback:
//!
//! - `bodies`: charsets from the header and from `<meta>`, invalid UTF-8, a body over
//!   the size cap, a server that trickles, redirect loops;
//! - `links`: relative, protocol-relative and `<base href>` links, spaces and non-ASCII
//!   characters, schemes that are not fetched, duplicates by fragment or default port;
//! - `traps`: endless link traps, bounded by depth, by budget and by URL length.

// The cases live in edge_cases/, one file per concern.
mod bodies;
mod links;
mod traps;
