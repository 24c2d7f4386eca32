//! Which IP addresses a check may connect to.
//!
//! One table of blocked ranges, taken from the IANA special-purpose address
//! registries for IPv4 and IPv6. The standard library's `is_private` and
//! `is_global` miss several of them (CGNAT, benchmarking, 6to4, NAT64...), so
//! the table is written out here and tested range by range.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

/// A blocked IPv4 range and why it is blocked.
struct V4Range {
    net: Ipv4Net,
    reason: &'static str,
}

/// A blocked IPv6 range and why it is blocked.
struct V6Range {
    net: Ipv6Net,
    reason: &'static str,
}

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8, reason: &'static str) -> V4Range {
    V4Range {
        net: Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len),
        reason,
    }
}

#[allow(clippy::too_many_arguments)]
const fn v6(segments: [u16; 8], len: u8, reason: &'static str) -> V6Range {
    let [a, b, c, d, e, f, g, h] = segments;
    V6Range {
        net: Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, e, f, g, h), len),
        reason,
    }
}

/// IANA IPv4 Special-Purpose Address Registry, plus multicast and the
/// reserved class E block.
const BLOCKED_V4: &[V4Range] = &[
    v4(0, 0, 0, 0, 8, "\"this network\" (0.0.0.0/8)"),
    v4(10, 0, 0, 0, 8, "private network (10.0.0.0/8)"),
    v4(100, 64, 0, 0, 10, "carrier-grade NAT (100.64.0.0/10)"),
    v4(127, 0, 0, 0, 8, "loopback (127.0.0.0/8)"),
    v4(169, 254, 0, 0, 16, "link-local (169.254.0.0/16)"),
    v4(172, 16, 0, 0, 12, "private network (172.16.0.0/12)"),
    v4(192, 0, 0, 0, 24, "IETF protocol assignments (192.0.0.0/24)"),
    v4(192, 0, 2, 0, 24, "documentation (192.0.2.0/24)"),
    v4(192, 31, 196, 0, 24, "AS112 (192.31.196.0/24)"),
    v4(192, 52, 193, 0, 24, "AMT (192.52.193.0/24)"),
    v4(192, 88, 99, 0, 24, "6to4 relay anycast (192.88.99.0/24)"),
    v4(192, 168, 0, 0, 16, "private network (192.168.0.0/16)"),
    v4(
        192,
        175,
        48,
        0,
        24,
        "AS112 direct delegation (192.175.48.0/24)",
    ),
    v4(198, 18, 0, 0, 15, "benchmarking (198.18.0.0/15)"),
    v4(198, 51, 100, 0, 24, "documentation (198.51.100.0/24)"),
    v4(203, 0, 113, 0, 24, "documentation (203.0.113.0/24)"),
    v4(224, 0, 0, 0, 4, "multicast (224.0.0.0/4)"),
    v4(240, 0, 0, 0, 4, "reserved (240.0.0.0/4)"),
    v4(255, 255, 255, 255, 32, "broadcast (255.255.255.255)"),
];

/// IANA IPv6 Special-Purpose Address Registry, plus multicast and the
/// deprecated site-local block. Forms that embed an IPv4 address (mapped,
/// NAT64, 6to4) are judged by that address before this table is consulted.
const BLOCKED_V6: &[V6Range] = &[
    v6([0, 0, 0, 0, 0, 0, 0, 0], 128, "unspecified (::)"),
    v6([0, 0, 0, 0, 0, 0, 0, 1], 128, "loopback (::1)"),
    v6(
        [0, 0, 0, 0, 0, 0, 0, 0],
        96,
        "IPv4-compatible, deprecated (::/96)",
    ),
    v6(
        [0x64, 0xff9b, 1, 0, 0, 0, 0, 0],
        48,
        "local-use NAT64 (64:ff9b:1::/48)",
    ),
    v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only (100::/64)"),
    v6(
        [0x2001, 0, 0, 0, 0, 0, 0, 0],
        23,
        "IETF protocol assignments, Teredo included (2001::/23)",
    ),
    v6(
        [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
        32,
        "documentation (2001:db8::/32)",
    ),
    v6(
        [0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0],
        48,
        "AS112 (2620:4f:8000::/48)",
    ),
    v6(
        [0x3fff, 0, 0, 0, 0, 0, 0, 0],
        20,
        "documentation (3fff::/20)",
    ),
    v6([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16, "SRv6 SIDs (5f00::/16)"),
    v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "unique-local (fc00::/7)"),
    v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local (fe80::/10)"),
    v6(
        [0xfec0, 0, 0, 0, 0, 0, 0, 0],
        10,
        "site-local, deprecated (fec0::/10)",
    ),
    v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast (ff00::/8)"),
];

/// Only 2000::/3 is allocated for global unicast; everything else is reserved.
const GLOBAL_UNICAST_V6: Ipv6Net =
    Ipv6Net::new_assert(Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3);

/// Why `ip` may not be the target of a check, or `None` when it may.
pub fn blocked_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => blocked_reason_v4(v4),
        IpAddr::V6(v6) => blocked_reason_v6(v6),
    }
}

fn blocked_reason_v4(ip: Ipv4Addr) -> Option<&'static str> {
    BLOCKED_V4
        .iter()
        .find(|range| range.net.contains(&ip))
        .map(|range| range.reason)
}

fn blocked_reason_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(embedded) = embedded_ipv4(ip) {
        return blocked_reason_v4(embedded);
    }
    if let Some(range) = BLOCKED_V6.iter().find(|range| range.net.contains(&ip)) {
        return Some(range.reason);
    }
    if !GLOBAL_UNICAST_V6.contains(&ip) {
        return Some("reserved IPv6 space (outside 2000::/3)");
    }
    None
}

/// The IPv4 address carried inside an IPv4-mapped (::ffff:0:0/96), NAT64
/// well-known prefix (64:ff9b::/96) or 6to4 (2002::/16) address. Traffic to
/// these reaches the embedded address, so that address is what gets judged.
pub fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low32 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let mapped = s[..5] == [0, 0, 0, 0, 0] && s[5] == 0xffff;
    let nat64 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    if mapped || nat64 {
        return Some(low32);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

/// The rule a checker applies to every address it is about to connect to.
///
/// It is a value handed to the checker (never read from globals) so tests can
/// declare particular loopback addresses "public" and prove the guard works.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    /// Turns the guard off: self-hosters watching their own network.
    pub allow_private: bool,
    /// Addresses treated as public even though the table blocks them.
    pub also_allow: Vec<IpAddr>,
}

impl AddressPolicy {
    /// The default: every special-purpose range is blocked.
    pub fn strict() -> Self {
        Self::default()
    }

    /// No address is blocked.
    pub fn allow_all() -> Self {
        Self {
            allow_private: true,
            also_allow: Vec::new(),
        }
    }

    /// Why this policy refuses `ip`, or `None` when it may be contacted.
    pub fn check(&self, ip: IpAddr) -> Option<&'static str> {
        if self.allow_private || self.also_allow.contains(&normalise(ip)) {
            return None;
        }
        blocked_reason(ip)
    }
}

/// An IPv4-mapped IPv6 address stands for its IPv4 address.
fn normalise(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(s: &str) -> bool {
        blocked_reason(s.parse().expect("test address")).is_some()
    }

    #[test]
    fn every_ipv4_range_is_blocked_at_both_ends_and_neighbours_are_not() {
        let cases = [
            ("0.0.0.0", "0.255.255.255", Some("1.0.0.0")),
            ("10.0.0.0", "10.255.255.255", Some("11.0.0.0")),
            ("100.64.0.0", "100.127.255.255", Some("100.128.0.0")),
            ("127.0.0.0", "127.255.255.255", Some("128.0.0.0")),
            ("169.254.0.0", "169.254.255.255", Some("169.255.0.0")),
            ("172.16.0.0", "172.31.255.255", Some("172.32.0.0")),
            ("192.0.0.0", "192.0.0.255", Some("192.0.1.0")),
            ("192.0.2.0", "192.0.2.255", Some("192.0.3.0")),
            ("192.31.196.0", "192.31.196.255", Some("192.31.197.0")),
            ("192.52.193.0", "192.52.193.255", Some("192.52.194.0")),
            ("192.88.99.0", "192.88.99.255", Some("192.88.100.0")),
            ("192.168.0.0", "192.168.255.255", Some("192.169.0.0")),
            ("192.175.48.0", "192.175.48.255", Some("192.175.49.0")),
            ("198.18.0.0", "198.19.255.255", Some("198.20.0.0")),
            ("198.51.100.0", "198.51.100.255", Some("198.51.101.0")),
            ("203.0.113.0", "203.0.113.255", Some("203.0.114.0")),
            ("224.0.0.0", "239.255.255.255", Some("223.255.255.255")),
            ("240.0.0.0", "255.255.255.254", None),
            ("255.255.255.255", "255.255.255.255", None),
        ];
        for (first, last, neighbour) in cases {
            assert!(blocked(first), "{first} should be blocked");
            assert!(blocked(last), "{last} should be blocked");
            if let Some(n) = neighbour {
                assert!(!blocked(n), "{n} should be allowed");
            }
        }
    }

    #[test]
    fn cloud_metadata_address_is_blocked() {
        assert!(blocked("169.254.169.254"));
        assert!(blocked("fd00:ec2::254"));
    }

    #[test]
    fn public_addresses_are_allowed() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.215.14",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
        ] {
            assert!(!blocked(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn every_ipv6_range_is_blocked() {
        for ip in [
            "::",
            "::1",
            "::7f00:1",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo
            "2001:db8::1",
            "2620:4f:8000::1",
            "3fff::1",
            "5f00::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "4000::1", // outside 2000::/3
        ] {
            assert!(blocked(ip), "{ip} should be blocked");
        }
    }

    #[test]
    fn ipv6_forms_embedding_ipv4_are_judged_by_the_embedded_address() {
        // IPv4-mapped
        assert!(blocked("::ffff:127.0.0.1"));
        assert!(blocked("::ffff:10.1.2.3"));
        assert!(!blocked("::ffff:8.8.8.8"));
        // NAT64 well-known prefix
        assert!(blocked("64:ff9b::a9fe:a9fe")); // 169.254.169.254
        assert!(!blocked("64:ff9b::808:808"));
        // 6to4
        assert!(blocked("2002:7f00:1::1"));
        assert!(blocked("2002:c0a8:101::1"));
        assert!(!blocked("2002:808:808::1"));
    }

    #[test]
    fn policy_can_allow_named_addresses_or_everything() {
        let loopback: IpAddr = "127.0.0.1".parse().expect("ip");
        let other: IpAddr = "127.0.0.2".parse().expect("ip");
        let policy = AddressPolicy {
            allow_private: false,
            also_allow: vec![loopback],
        };
        assert_eq!(policy.check(loopback), None);
        assert!(policy.check(other).is_some());
        assert!(policy
            .check("::ffff:127.0.0.1".parse().expect("ip"))
            .is_none());
        assert!(AddressPolicy::allow_all().check(other).is_none());
        assert!(AddressPolicy::strict().check(other).is_some());
    }
}
