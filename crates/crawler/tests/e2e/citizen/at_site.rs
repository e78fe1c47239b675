//! Measurements taken where a user's complaint would come from: the site. Every number
//! here is computed from the requests the site saw ([`Hit`]), never from what the crawler
//! says it did.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use crawler_testkit::cluster::Cluster;
use crawler_testkit::site::{Hit, TestSite};

/// The requests for pages, without the robots.txt ones.
pub fn page_hits(site: &TestSite) -> Vec<Hit> {
    site.hits()
        .into_iter()
        .filter(|hit| hit.path != "/robots.txt")
        .collect()
}

/// Each pair of consecutive request starts, in time order, with the gap between them.
pub fn start_gaps(hits: &[Hit]) -> Vec<(String, String, Duration)> {
    let mut hits = hits.to_vec();
    hits.sort_by_key(|hit| hit.at);
    hits.windows(2)
        .map(|pair| {
            let gap = pair[1].at.duration_since(pair[0].at);
            (pair[0].path.clone(), pair[1].path.clone(), gap)
        })
        .collect()
}

/// Asserts that no two consecutive request starts are closer than `least`.
pub fn assert_starts_spaced(hits: &[Hit], least: Duration) {
    let gaps = start_gaps(hits);
    assert!(!gaps.is_empty(), "fewer than two requests: {hits:?}");
    let too_close: Vec<_> = gaps.iter().filter(|(_, _, gap)| *gap < least).collect();
    assert!(
        too_close.is_empty(),
        "request starts closer than {least:?}: {too_close:?}\nall gaps: {gaps:?}"
    );
}

/// The most requests the site was answering at once. A request counts from its arrival
/// to the end of its answer; one that ends at the instant another starts does not
/// overlap it.
pub fn max_in_flight(hits: &[Hit]) -> usize {
    let mut edges: Vec<(std::time::Instant, i32)> = Vec::new();
    for hit in hits {
        let end = hit
            .finished_at
            .unwrap_or_else(|| panic!("{} was never answered", hit.path));
        edges.push((hit.at, 1));
        edges.push((end, -1));
    }
    // Ends sort before starts at the same instant.
    edges.sort();
    let mut in_flight = 0i32;
    let mut most = 0i32;
    for (_, step) in edges {
        in_flight += step;
        most = most.max(in_flight);
    }
    usize::try_from(most).unwrap_or(0)
}

/// How many of `hits` each fetcher worker sent, by worker index. A request is traced to
/// its worker through the kernel: the client end of its connection is a socket whose
/// inode one worker process holds open. Connections stay open in the workers' pools
/// after the crawl, which is when this is called; requests whose connection has closed
/// since are not counted.
pub fn requests_per_worker(
    cluster: &Cluster,
    site: &TestSite,
    hits: &[Hit],
) -> BTreeMap<usize, usize> {
    let inode_by_port = client_sockets(site.addr.port());
    let worker_by_inode: HashMap<u64, usize> = cluster
        .workers
        .iter()
        .enumerate()
        .flat_map(|(index, worker)| {
            socket_inodes(worker.id())
                .into_iter()
                .map(move |i| (i, index))
        })
        .collect();
    let mut counts = BTreeMap::new();
    for hit in hits {
        let worker = hit
            .peer
            .and_then(|peer| inode_by_port.get(&peer.port()))
            .and_then(|inode| worker_by_inode.get(inode));
        if let Some(worker) = worker {
            *counts.entry(*worker).or_insert(0) += 1;
        }
    }
    counts
}

/// Asserts that every fetcher worker of the deployment sent some of `hits`.
pub fn assert_all_workers_sent(cluster: &Cluster, site: &TestSite, hits: &[Hit]) {
    let counts = requests_per_worker(cluster, site, hits);
    let senders: BTreeSet<usize> = counts.keys().copied().collect();
    let workers: BTreeSet<usize> = (0..cluster.workers.len()).collect();
    assert_eq!(
        senders, workers,
        "requests by worker: {counts:?}; the rule was not exercised across workers"
    );
}

/// Client sockets connected to `server_port` on loopback: their local port -> inode,
/// from /proc/net/tcp (IPv4, which is what the test sites listen on).
fn client_sockets(server_port: u16) -> HashMap<u16, u64> {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("read /proc/net/tcp");
    let port_of = |address: &str| {
        address
            .rsplit(':')
            .next()
            .and_then(|hex| u16::from_str_radix(hex, 16).ok())
    };
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local = port_of(fields.get(1)?)?;
            let remote = port_of(fields.get(2)?)?;
            let inode = fields.get(9)?.parse::<u64>().ok()?;
            (remote == server_port && inode != 0).then_some((local, inode))
        })
        .collect()
}

/// The inodes of the sockets process `pid` holds open.
fn socket_inodes(pid: u32) -> Vec<u64> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    fds.filter_map(|fd| {
        let target = std::fs::read_link(fd.ok()?.path()).ok()?;
        let target = target.to_str()?;
        target
            .strip_prefix("socket:[")?
            .strip_suffix(']')?
            .parse()
            .ok()
    })
    .collect()
}
