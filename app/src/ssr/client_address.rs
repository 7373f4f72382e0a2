//! The client's address behind trusted reverse proxies (SPEC S8).
//!
//! The socket peer is the client unless it is a trusted proxy. Only then are the forwarding
//! headers read: `Forwarded` (RFC 7239) if the request has one, else `X-Forwarded-For`. Their
//! hops are walked right to left (each proxy appends the address it received the request
//! from), and the client is the right-most hop that is not a trusted proxy; a client can only
//! write to the left of what the proxies append, so nothing it claims is believed. Anything that
//! is not an address (garbage, `unknown`, an obfuscated identifier) ends the walk at the last
//! trusted hop.

use http::{HeaderMap, HeaderName, header::FORWARDED};
pub use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Only the right-most this many bytes of the forwarding headers are read.
pub const MAX_HEADER_BYTES: usize = 2048;
/// At most this many hops are walked.
pub const MAX_HOPS: usize = 20;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// One entry of `--trusted-proxies`: an address (`10.0.0.1`, `::1`) or a network
/// (`10.0.0.0/8`, `2001:db8::/32`). IPv4-mapped IPv6 networks become IPv4 ones.
pub fn parse_trusted_proxy(entry: &str) -> Result<IpNet, String> {
    let entry = entry.trim();
    if entry.is_empty() {
        return Err("an empty entry; expected an IP address or a CIDR network such as 10.0.0.0/8".into());
    }
    let net = match entry.parse::<IpNet>() {
        Ok(net) => net,
        Err(_) => match entry.parse::<IpAddr>() {
            Ok(addr) => IpNet::from(addr),
            Err(_) => {
                return Err(format!(
                    "`{entry}` is neither an IP address nor a CIDR network (such as 10.0.0.0/8 or 2001:db8::/32)"
                ));
            }
        },
    };
    Ok(match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.network().to_ipv4_mapped() {
            Some(v4) => IpNet::new(IpAddr::V4(v4), v6.prefix_len() - 96).expect("a prefix of at most 32"),
            None => net,
        },
        _ => net,
    })
}

/// `--trusted-proxies`: entries separated by commas; blank ones (an empty setting, a trailing
/// comma) are skipped, anything else that is not an address or network is refused.
pub fn parse_trusted_proxies(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',').filter(|entry| !entry.trim().is_empty()).map(parse_trusted_proxy).collect()
}

/// `::ffff:1.2.3.4` is `1.2.3.4`.
pub fn normalize(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&ip))
}

/// The client of a request that came from `peer` over the socket.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = normalize(peer);
    if !is_trusted(peer, trusted) {
        return peer;
    }
    if headers.contains_key(FORWARDED) {
        resolve_chain(peer, &joined(headers, &FORWARDED), Syntax::Forwarded, trusted)
    } else {
        resolve_chain(peer, &joined(headers, &X_FORWARDED_FOR), Syntax::XForwardedFor, trusted)
    }
}

/// All lines of a header, in order, as one comma-separated list (RFC 9110 5.3). A line that
/// is not text becomes a hop that ends the walk.
fn joined(headers: &HeaderMap, name: &HeaderName) -> String {
    headers
        .get_all(name)
        .iter()
        .map(|value| value.to_str().unwrap_or("\u{fffd}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// RFC 7239: `for=192.0.2.60;proto=https, for="[2001:db8::1]:4711"`.
    Forwarded,
    /// `192.0.2.60, 2001:db8::1`.
    XForwardedFor,
}

/// The client, given a trusted `peer` and the forwarding header's value. Pure, for tests.
pub fn resolve_chain(peer: IpAddr, header: &str, syntax: Syntax, trusted: &[IpNet]) -> IpAddr {
    let mut client = normalize(peer);
    // The hops proxies append are on the right; a longer header is cut at the left, and
    // the hop the cut falls into is dropped.
    let header = match header.len().checked_sub(MAX_HEADER_BYTES) {
        Some(cut) if cut > 0 => {
            let cut = (cut..header.len()).find(|i| header.is_char_boundary(*i)).unwrap_or(header.len());
            let rest = &header[cut..];
            match rest.find(',') {
                Some(comma) => &rest[comma + 1..],
                None => "",
            }
        }
        _ => header,
    };
    if header.trim().is_empty() {
        return client;
    }
    for hop in header.rsplit(',').take(MAX_HOPS) {
        let address = match syntax {
            Syntax::Forwarded => forwarded_for(hop),
            Syntax::XForwardedFor => node(hop.trim()),
        };
        match address {
            Some(ip) => {
                client = normalize(ip);
                if !is_trusted(client, trusted) {
                    return client;
                }
            }
            None => return client,
        }
    }
    client
}

/// The address in the `for` parameter of one `Forwarded` element, if it is one.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    let mut found = None;
    for pair in element.split(';') {
        let (name, value) = pair.trim().split_once('=')?;
        if name.trim().eq_ignore_ascii_case("for") {
            if found.is_some() {
                return None; // the parameter twice: malformed
            }
            found = Some(value.trim());
        }
    }
    let value = found?;
    let value = match value.strip_prefix('"') {
        // A quoted string; an address never needs an escape.
        Some(rest) => rest.strip_suffix('"').filter(|inner| !inner.contains(['"', '\\']))?,
        None if value.contains('"') => return None,
        None => value,
    };
    node(value)
}

/// `192.0.2.60`, `192.0.2.60:4711`, `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:4711`.
/// `unknown`, obfuscated identifiers (`_hidden`) and anything else: `None`.
fn node(value: &str) -> Option<IpAddr> {
    if let Ok(ip) = value.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = value.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        if !after.is_empty() && !is_port(after.strip_prefix(':')?) {
            return None;
        }
        return v6.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    let (v4, port) = value.split_once(':')?;
    if !is_port(port) {
        return None;
    }
    v4.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

/// A port number or an obfuscated port (`_abc`), as RFC 7239 6.
fn is_port(port: &str) -> bool {
    let digits = !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit());
    let obfuscated = port.len() > 1
        && port.starts_with('_')
        && port.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    digits || obfuscated
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(entries: &[&str]) -> Vec<IpNet> {
        entries.iter().map(|e| parse_trusted_proxy(e).unwrap()).collect()
    }

    const PROXY: &str = "10.0.0.1";

    fn xff(header: &str, trusted: &[&str]) -> String {
        resolve_chain(ip(PROXY), header, Syntax::XForwardedFor, &nets(trusted)).to_string()
    }

    fn fwd(header: &str, trusted: &[&str]) -> String {
        resolve_chain(ip(PROXY), header, Syntax::Forwarded, &nets(trusted)).to_string()
    }

    fn headers(lines: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in lines {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn trusted_proxies_parse_addresses_and_networks_of_both_families() {
        assert_eq!(parse_trusted_proxy("10.0.0.1").unwrap(), "10.0.0.1/32".parse::<IpNet>().unwrap());
        assert_eq!(parse_trusted_proxy(" 10.0.0.0/8 ").unwrap(), "10.0.0.0/8".parse::<IpNet>().unwrap());
        assert_eq!(parse_trusted_proxy("::1").unwrap(), "::1/128".parse::<IpNet>().unwrap());
        assert_eq!(parse_trusted_proxy("2001:db8::/32").unwrap(), "2001:db8::/32".parse::<IpNet>().unwrap());
        assert_eq!(parse_trusted_proxy("::ffff:10.0.0.0/104").unwrap(), "10.0.0.0/8".parse::<IpNet>().unwrap());
        for bad in ["", "  ", "10.0.0", "10.0.0.0/33", "2001:db8::/129", "proxy.example.com", "10.0.0.1:80", "*"] {
            let error = parse_trusted_proxy(bad).unwrap_err();
            assert!(error.contains("IP address") || error.contains("empty"), "{bad:?}: {error}");
        }
        assert_eq!(parse_trusted_proxies("").unwrap(), vec![]);
        assert_eq!(parse_trusted_proxies(" 10.0.0.1, 2001:db8::/32,").unwrap(), nets(&["10.0.0.1/32", "2001:db8::/32"]));
        assert!(parse_trusted_proxies("10.0.0.1,nope").unwrap_err().contains("`nope`"));
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_the_headers_say() {
        let spoofed = headers(&[("x-forwarded-for", "203.0.113.9"), ("forwarded", "for=203.0.113.9")]);
        assert_eq!(resolve(ip("192.0.2.1"), &spoofed, &[]), ip("192.0.2.1"));
        assert_eq!(resolve(ip("192.0.2.1"), &spoofed, &nets(&["10.0.0.0/8"])), ip("192.0.2.1"));
    }

    #[test]
    fn a_trusted_peer_without_headers_is_the_client() {
        assert_eq!(resolve(ip(PROXY), &HeaderMap::new(), &nets(&[PROXY])), ip(PROXY));
        assert_eq!(xff("", &[PROXY]), PROXY);
        assert_eq!(xff(" , ", &[PROXY]), PROXY);
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        assert_eq!(xff("198.51.100.1", &[PROXY]), "198.51.100.1");
        assert_eq!(xff("203.0.113.9, 198.51.100.1", &[PROXY]), "198.51.100.1");
        // A client prepending a spoofed address is still itself.
        assert_eq!(xff("10.9.9.9, 198.51.100.66", &[PROXY]), "198.51.100.66");
        // Several layers of trusted proxies are skipped.
        assert_eq!(xff("203.0.113.9, 198.51.100.1, 10.0.0.7, 10.0.0.3", &["10.0.0.0/8"]), "198.51.100.1");
        // Every hop trusted: the left-most one.
        assert_eq!(xff("10.0.0.9, 10.0.0.7", &["10.0.0.0/8"]), "10.0.0.9");
    }

    #[test]
    fn header_lines_are_joined_in_order() {
        let map = headers(&[("x-forwarded-for", "203.0.113.9, 10.0.0.5"), ("x-forwarded-for", "198.51.100.1, 10.0.0.6")]);
        assert_eq!(resolve(ip(PROXY), &map, &nets(&["10.0.0.0/8"])), ip("198.51.100.1"));
        let map = headers(&[("forwarded", "for=203.0.113.9"), ("forwarded", "for=198.51.100.1;proto=https")]);
        assert_eq!(resolve(ip(PROXY), &map, &nets(&[PROXY])), ip("198.51.100.1"));
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_for() {
        let map = headers(&[("x-forwarded-for", "203.0.113.9"), ("forwarded", "for=198.51.100.1")]);
        assert_eq!(resolve(ip(PROXY), &map, &nets(&[PROXY])), ip("198.51.100.1"));
    }

    #[test]
    fn forwarded_elements_in_their_rfc_7239_forms() {
        assert_eq!(fwd("for=198.51.100.1", &[PROXY]), "198.51.100.1");
        assert_eq!(fwd("For=\"198.51.100.1\"", &[PROXY]), "198.51.100.1");
        assert_eq!(fwd("for=\"198.51.100.1:4711\"", &[PROXY]), "198.51.100.1");
        assert_eq!(fwd("for=\"[2001:db8:cafe::17]:4711\"", &[PROXY]), "2001:db8:cafe::17");
        assert_eq!(fwd("for=\"[2001:db8:cafe::17]\"", &[PROXY]), "2001:db8:cafe::17");
        assert_eq!(fwd("for=\"[2001:db8::1]:_port\"", &[PROXY]), "2001:db8::1");
        assert_eq!(fwd("proto=https; for=198.51.100.1 ;by=10.0.0.1;host=portal.example.com", &[PROXY]), "198.51.100.1");
        assert_eq!(fwd("for=192.0.2.43, for=198.51.100.17;by=203.0.113.60;proto=http", &[PROXY]), "198.51.100.17");
        assert_eq!(fwd("for=203.0.113.9, for=198.51.100.1, for=10.0.0.2", &["10.0.0.0/8"]), "198.51.100.1");
    }

    #[test]
    fn unknown_obfuscated_and_garbage_hops_end_the_walk_at_the_last_trusted_hop() {
        let trusted = ["10.0.0.0/8"];
        for garbage in ["unknown", "_hidden", "not-an-ip", "198.51.100.1:99999999", "[2001:db8::1", "1.2.3.4.5", "fe80::1%eth0"] {
            assert_eq!(xff(&format!("198.51.100.7, {garbage}, 10.0.0.2"), &trusted), "10.0.0.2", "{garbage}");
            assert_eq!(xff(&format!("198.51.100.7, {garbage}"), &trusted), PROXY, "{garbage}");
        }
        for garbage in ["for=unknown", "for=_hidden", "for=\"_SEVKISEK\"", "for=", "for=\"198.51.100.1", "for=198.51.100.1\"",
            "for=\"19\\8.51.100.1\"", "for=198.51.100.1;for=198.51.100.2", "proto=https", "for=[2001:db8::1]x", "garbage"]
        {
            assert_eq!(fwd(&format!("for=198.51.100.7, {garbage}, for=10.0.0.2"), &trusted), "10.0.0.2", "{garbage}");
            assert_eq!(fwd(&format!("for=198.51.100.7, {garbage}"), &trusted), PROXY, "{garbage}");
        }
        // A quoted comma splits nothing the walk would believe.
        assert_eq!(fwd("for=\"_a, for=198.51.100.9\"", &[PROXY]), PROXY);
        // Garbage left of the client does not matter.
        assert_eq!(xff("garbage, 198.51.100.1", &[PROXY]), "198.51.100.1");
        // A line that is not text ends the walk too.
        let mut map = HeaderMap::new();
        map.append("x-forwarded-for", HeaderValue::from_static("198.51.100.1"));
        map.append("x-forwarded-for", HeaderValue::from_bytes(b"\xff\xfe").unwrap());
        assert_eq!(resolve(ip(PROXY), &map, &nets(&[PROXY])), ip(PROXY));
    }

    #[test]
    fn ipv4_mapped_ipv6_is_ipv4() {
        assert_eq!(xff("::ffff:198.51.100.1", &[PROXY]), "198.51.100.1");
        assert_eq!(fwd("for=\"[::ffff:198.51.100.1]:80\"", &[PROXY]), "198.51.100.1");
        // A mapped peer is compared with IPv4 networks, and a mapped hop too.
        let map = headers(&[("x-forwarded-for", "198.51.100.1, ::ffff:10.0.0.3")]);
        assert_eq!(resolve(ip("::ffff:10.0.0.1"), &map, &nets(&["10.0.0.0/8"])), ip("198.51.100.1"));
        assert_eq!(resolve(ip("::ffff:192.0.2.1"), &map, &[]), ip("192.0.2.1"));
    }

    #[test]
    fn ipv6_proxies_and_clients() {
        assert_eq!(xff("2001:db8::1, 2001:db8:ffff::2", &["2001:db8:ffff::/48"]), "2001:db8::1");
        assert_eq!(xff("[2001:db8::1]:4711", &[PROXY]), "2001:db8::1");
        assert_eq!(xff("198.51.100.1:4711", &[PROXY]), "198.51.100.1");
        let map = headers(&[("x-forwarded-for", "2001:db8::1")]);
        assert_eq!(resolve(ip("::1"), &map, &nets(&["::1"])), ip("2001:db8::1"));
    }

    #[test]
    fn the_work_is_bounded() {
        // Only MAX_HOPS hops are walked: past them, the left-most trusted hop seen.
        let mut chain = vec!["198.51.100.1".to_owned()];
        chain.extend((0..MAX_HOPS).map(|i| format!("10.0.1.{i}")));
        assert_eq!(xff(&chain.join(","), &["10.0.0.0/8"]), "10.0.1.0");
        chain.remove(1);
        assert_eq!(xff(&chain.join(","), &["10.0.0.0/8"]), "198.51.100.1");
        // A padded header is cut at the left: the client the proxy appended still counts, and
        // the hop the cut falls into is dropped, never half read.
        let padding = "1".repeat(3 * MAX_HEADER_BYTES);
        assert_eq!(xff(&format!("{padding}, 198.51.100.66"), &[PROXY]), "198.51.100.66");
        assert_eq!(xff(&format!("{padding}, 198.51.100.66, 10.0.0.1"), &[PROXY]), "198.51.100.66");
        let long = format!("{}198.51.100.5, 10.0.0.2", "9".repeat(MAX_HEADER_BYTES - 20));
        assert_eq!(xff(&long, &["10.0.0.0/8"]), "10.0.0.2");
        assert_eq!(fwd(&format!("for=\"{padding}, for=198.51.100.66"), &[PROXY]), "198.51.100.66");
        assert_eq!(xff(&padding, &[PROXY]), PROXY);
    }
}
