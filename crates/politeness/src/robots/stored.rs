//! What is kept of a robots.txt fetch: its status class and, on success, its raw body.
//!
//! The store keeps the answer, not a parsed object: every worker parses it with its own
//! product token and parser version, and a parser upgrade needs no cache flush.

use std::time::Duration;

/// RFC 9309 section 2.5: crawlers must parse at least the first 500 KiB, and may ignore
/// the rest. Capping here bounds what is stored for every host.
pub const MAX_ROBOTS_BYTES: usize = 500 * 1024;

/// The answer of [`RobotsFetcher::fetch_robots`](crate::RobotsFetcher).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RobotsResponse {
    /// The final answer after redirects (the fetcher follows up to 5, RFC 9309 2.3.1.2).
    Status { code: u16, body: Vec<u8> },
    /// No answer: connection error, DNS failure, timeout.
    Unreachable,
}

/// A robots.txt answer by status class (RFC 9309 section 2.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredRobots {
    /// 2xx: the body, cut to [`MAX_ROBOTS_BYTES`], to parse.
    Fetched(Vec<u8>),
    /// "Unavailable" (4xx, or 3xx left after the fetcher's redirect limit): no
    /// restrictions, the crawler may access any resource.
    Unavailable,
    /// "Unreachable" (5xx, no answer at all, and 429): the crawler must assume complete
    /// disallow, for a short while.
    Unreachable,
}

impl StoredRobots {
    /// Classifies a fetch.
    ///
    /// 429 is read as unreachable, not as a 4xx: the server is asking us to slow down,
    /// and taking that as "no restrictions" would answer it with a full-speed crawl.
    /// Google's crawler reads 429 the same way. Status codes outside 200-599 are
    /// nonsense from a server and are read as unreachable too.
    pub fn from_response(response: RobotsResponse) -> Self {
        match response {
            RobotsResponse::Unreachable => StoredRobots::Unreachable,
            RobotsResponse::Status { code: 429, .. } => StoredRobots::Unreachable,
            RobotsResponse::Status { code, mut body } => match code {
                200..=299 => {
                    cap_body(&mut body);
                    StoredRobots::Fetched(body)
                }
                300..=499 => StoredRobots::Unavailable,
                _ => StoredRobots::Unreachable,
            },
        }
    }

    /// How long this answer is trusted: the full cache time, or the short one when the
    /// host was unreachable, so it is tried again soon.
    pub fn ttl(&self, cache_ttl: Duration, unreachable_ttl: Duration) -> Duration {
        match self {
            StoredRobots::Unreachable => unreachable_ttl,
            StoredRobots::Fetched(_) | StoredRobots::Unavailable => cache_ttl,
        }
    }

    /// The stored form: one class byte, then the body of a fetched file.
    pub(crate) fn encode(&self) -> Vec<u8> {
        match self {
            StoredRobots::Fetched(body) => {
                let mut encoded = Vec::with_capacity(body.len() + 1);
                encoded.push(b'2');
                encoded.extend_from_slice(body);
                encoded
            }
            StoredRobots::Unavailable => vec![b'4'],
            StoredRobots::Unreachable => vec![b'5'],
        }
    }

    pub(crate) fn decode(encoded: &[u8]) -> Option<Self> {
        match encoded.split_first()? {
            (b'2', body) => Some(StoredRobots::Fetched(body.to_vec())),
            (b'4', []) => Some(StoredRobots::Unavailable),
            (b'5', []) => Some(StoredRobots::Unreachable),
            _ => None,
        }
    }
}

/// Cuts a body to [`MAX_ROBOTS_BYTES`], at the last line break inside the limit when there
/// is one, so the cut never leaves half a rule (a truncated `Disallow: /private` would
/// read as `Disallow: /pri` and block more than the site asked).
fn cap_body(body: &mut Vec<u8>) {
    if body.len() <= MAX_ROBOTS_BYTES {
        return;
    }
    let cut = body[..MAX_ROBOTS_BYTES]
        .iter()
        .rposition(|byte| *byte == b'\n')
        .map_or(MAX_ROBOTS_BYTES, |newline| newline + 1);
    body.truncate(cut);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, body: &str) -> StoredRobots {
        StoredRobots::from_response(RobotsResponse::Status {
            code,
            body: body.as_bytes().to_vec(),
        })
    }

    #[test]
    fn status_classes_follow_rfc_9309() {
        assert_eq!(status(200, "x"), StoredRobots::Fetched(b"x".to_vec()));
        assert_eq!(status(204, ""), StoredRobots::Fetched(Vec::new()));
        assert_eq!(status(301, ""), StoredRobots::Unavailable);
        assert_eq!(status(404, "x"), StoredRobots::Unavailable);
        assert_eq!(status(403, "x"), StoredRobots::Unavailable);
        assert_eq!(status(429, ""), StoredRobots::Unreachable);
        assert_eq!(status(500, ""), StoredRobots::Unreachable);
        assert_eq!(status(503, ""), StoredRobots::Unreachable);
        assert_eq!(status(999, ""), StoredRobots::Unreachable);
        assert_eq!(
            StoredRobots::from_response(RobotsResponse::Unreachable),
            StoredRobots::Unreachable
        );
    }

    #[test]
    fn encoding_round_trips_and_rejects_garbage() {
        for stored in [
            StoredRobots::Fetched(b"User-agent: *\nDisallow: /\n".to_vec()),
            StoredRobots::Fetched(Vec::new()),
            StoredRobots::Unavailable,
            StoredRobots::Unreachable,
        ] {
            assert_eq!(StoredRobots::decode(&stored.encode()), Some(stored));
        }
        assert_eq!(StoredRobots::decode(b""), None);
        assert_eq!(StoredRobots::decode(b"4junk"), None);
        assert_eq!(StoredRobots::decode(b"x"), None);
    }

    #[test]
    fn a_huge_body_is_cut_at_a_line_break_within_500_kib() {
        let line = "Disallow: /a-fairly-long-path-to-fill-the-file\n";
        let body = line.repeat(MAX_ROBOTS_BYTES / line.len() + 100);
        let StoredRobots::Fetched(kept) = status(200, &body) else {
            panic!("a 200 is fetched");
        };
        assert!(kept.len() <= MAX_ROBOTS_BYTES);
        assert!(kept.len() > MAX_ROBOTS_BYTES - line.len());
        assert!(kept.ends_with(b"\n"));
        assert!(kept.ends_with(line.as_bytes()));
    }
}
