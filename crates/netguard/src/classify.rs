//! Which addresses count as public.
//!
//! The ranges come from the IANA special-purpose address registries (RFC 6890 and its
//! updates). Anything a packet could not reach on the public Internet, or reaches inside
//! the operator's own network, is not public. For IPv6 only global unicast (2000::/3)
//! can be public, which also excludes future special-purpose ranges by default.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// True when `ip` is a public unicast address a crawler may connect to.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = a == 0 // "this network", 0.0.0.0/8, including the unspecified address
        || a == 10 // RFC 1918
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT, 100.64.0.0/10
        || a == 127 // loopback
        || (a == 169 && b == 254) // link-local, where cloud metadata services live
        || (a == 172 && (16..32).contains(&b)) // RFC 1918
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments, 192.0.0.0/24
        || (a == 192 && b == 0 && c == 2) // documentation, TEST-NET-1
        || (a == 192 && b == 88 && c == 99) // deprecated 6to4 relay anycast
        || (a == 192 && b == 168) // RFC 1918
        || (a == 198 && (b == 18 || b == 19)) // benchmarking, 198.18.0.0/15
        || (a == 198 && b == 51 && c == 100) // documentation, TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // documentation, TEST-NET-3
        || a >= 224; // multicast 224/4, reserved 240/4 and the broadcast address
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    // Addresses that carry an IPv4 address reach that address, so they are exactly as
    // public as it is: IPv4-mapped (::ffff:0:0/96) and the NAT64 well-known prefix
    // (64:ff9b::/96, RFC 6052).
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(segments[6], segments[7]));
    }
    // 6to4 (2002::/16) tunnels to the IPv4 address in bits 16..48.
    if segments[0] == 0x2002 {
        return is_public_v4(embedded_v4(segments[1], segments[2]));
    }
    // Only global unicast can be public; this rules out ::, ::1, the deprecated
    // IPv4-compatible ::/96, 100::/64 (discard), fc00::/7 (unique local), fe80::/10
    // (link-local), fec0::/10 (site-local) and ff00::/8 (multicast).
    if segments[0] & 0xe000 != 0x2000 {
        return false;
    }
    let documentation = (segments[0] == 0x2001 && segments[1] == 0x0db8) // 2001:db8::/32
        || segments[0] & 0xfff0 == 0x3ff0; // 3fff::/20, RFC 9637
    if documentation {
        return false;
    }
    // 2001::/23 holds IETF protocol assignments (Teredo, benchmarking, ORCHID). Only the
    // few that the IANA registry marks globally reachable are public.
    if segments[0] == 0x2001 && segments[1] < 0x0200 {
        let globally_reachable = segments[1] == 0x0003 // AMT, 2001:3::/32
            || (segments[1] == 0x0004 && segments[2] == 0x0112) // AS112-v6, 2001:4:112::/48
            || (0x0020..0x0040).contains(&segments[1]); // ORCHIDv2 and drone IDs, 2001:20::/27
        return globally_reachable;
    }
    true
}

fn embedded_v4(high: u16, low: u16) -> Ipv4Addr {
    let [a, b] = high.to_be_bytes();
    let [c, d] = low.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public_ip(s.parse().unwrap())
    }

    #[test]
    fn ordinary_internet_addresses_are_public() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.0",
        ] {
            assert!(public(ip), "{ip}");
        }
        for ip in [
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.1",
            "198.20.0.1",
            "223.255.255.255",
        ] {
            assert!(public(ip), "{ip}");
        }
        for ip in [
            "2606:4700::1111",
            "2a00:1450:4001::200e",
            "2001:4860:4860::8888",
        ] {
            assert!(public(ip), "{ip}");
        }
        assert!(public("::ffff:8.8.8.8"));
        assert!(public("64:ff9b::808:808"));
        assert!(public("2002:0808:0808::1"));
    }

    #[test]
    fn non_public_ipv4_ranges_are_refused() {
        let refused = [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.255",
            "127.0.0.1",
            "127.1.2.3",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ];
        for ip in refused {
            assert!(!public(ip), "{ip} must be refused");
        }
    }

    #[test]
    fn non_public_ipv6_ranges_are_refused() {
        let refused = [
            "::",
            "::1",
            "::127.0.0.1",
            "100::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "ff05::2",
            "2001:db8::1",
            "3fff::1",
            "2001::1",
            "2001:2::1",
            "2001:10::1",
        ];
        for ip in refused {
            assert!(!public(ip), "{ip} must be refused");
        }
    }

    #[test]
    fn addresses_embedding_ipv4_follow_the_embedded_address() {
        for ip in [
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::ffff:0.0.0.0",
        ] {
            assert!(!public(ip), "{ip}");
        }
        assert!(!public("64:ff9b::7f00:1"), "NAT64 of 127.0.0.1");
        assert!(!public("64:ff9b::a9fe:a9fe"), "NAT64 of 169.254.169.254");
        assert!(!public("2002:7f00:0001::1"), "6to4 of 127.0.0.1");
        assert!(!public("2002:c0a8:0101::1"), "6to4 of 192.168.1.1");
    }

    #[test]
    fn globally_reachable_protocol_assignments_are_public() {
        assert!(public("2001:3::1"));
        assert!(public("2001:4:112::1"));
        assert!(public("2001:20::1"));
    }
}
