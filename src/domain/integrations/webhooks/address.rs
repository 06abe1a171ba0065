//! The SSRF guard: an endpoint's URL is http(s), and neither its host nor any address it
//! resolves to is internal (loopback, private, link-local, unique-local, unspecified,
//! multicast, CGNAT, reserved). Checked when the endpoint is saved and again, on the
//! address actually connected to, at every delivery.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use url::{Host, Url};

use crate::error::{UserError, UserErrorCode};

/// Longest URL accepted.
const MAX_URL: usize = 2048;
/// How long a save waits for DNS before accepting the name (delivery checks it again).
const SAVE_LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

/// True for an address a webhook may be delivered to.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let internal = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // CGNAT, RFC 6598
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240; // reserved
    !internal
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let embedded_v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if ip.is_unspecified() || ip.is_loopback() || ip.is_multicast() {
        return false;
    }
    match s {
        // IPv4-mapped and IPv4-compatible addresses reach the IPv4 address inside.
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0, 0, 0, 0, 0, 0, hi, lo] => {
            is_public_v4(embedded_v4(hi, lo))
        }
        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed an IPv4 address too.
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => is_public_v4(embedded_v4(hi, lo)),
        [0x2002, hi, lo, ..] => is_public_v4(embedded_v4(hi, lo)),
        _ => {
            let unique_local = (s[0] & 0xfe00) == 0xfc00;
            let link_local = (s[0] & 0xffc0) == 0xfe80;
            let site_local = (s[0] & 0xffc0) == 0xfec0;
            let documentation = s[0] == 0x2001 && s[1] == 0x0db8;
            let teredo = s[0] == 0x2001 && s[1] == 0;
            !(unique_local || link_local || site_local || documentation || teredo)
        }
    }
}

/// The addresses `host` resolves to, or an error when any of them is internal (unless
/// `allow_private`): a name that mixes public and internal addresses is refused whole.
pub async fn resolve_public(
    host: &str,
    port: u16,
    allow_private: bool,
) -> std::io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port)).await?.collect();
    if !allow_private && let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("{host} resolves to {}, an internal address", bad.ip()),
        ));
    }
    Ok(addrs)
}

/// A valid endpoint URL, normalized, or the user error saying why not.
pub async fn check_url(field: &str, raw: &str, allow_private: bool) -> Result<String, UserError> {
    let raw = raw.trim();
    let bad = |code, message: &str| Err(UserError::new(&[field], code, message));
    if raw.is_empty() {
        return bad(UserErrorCode::Required, "a URL is required");
    }
    if raw.len() > MAX_URL {
        return bad(UserErrorCode::TooLong, "must be at most 2048 characters");
    }
    let Ok(url) = Url::parse(raw) else {
        return bad(UserErrorCode::InvalidFormat, "not a valid URL");
    };
    if !matches!(url.scheme(), "http" | "https") {
        return bad(UserErrorCode::InvalidFormat, "only http and https URLs");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return bad(
            UserErrorCode::InvalidFormat,
            "a URL must not carry credentials",
        );
    }
    let refused = "the URL points to a loopback, private or other internal address";
    let port = url.port_or_known_default().unwrap_or(443);
    match url.host() {
        None => return bad(UserErrorCode::InvalidFormat, "a URL needs a host"),
        Some(_) if allow_private => {}
        Some(Host::Ipv4(ip)) if !is_public_v4(ip) => return bad(UserErrorCode::Invalid, refused),
        Some(Host::Ipv6(ip)) if !is_public_v6(ip) => return bad(UserErrorCode::Invalid, refused),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                return bad(UserErrorCode::Invalid, refused);
            }
            // A name that does not resolve yet is accepted: delivery checks it again.
            let lookup = resolve_public(&name, port, false);
            if let Ok(Err(e)) = tokio::time::timeout(SAVE_LOOKUP_TIMEOUT, lookup).await
                && e.kind() == std::io::ErrorKind::PermissionDenied
            {
                return bad(UserErrorCode::Invalid, refused);
            }
        }
        Some(_) => {}
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused_and_public_ones_allowed() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
        ] {
            let ip: IpAddr = internal.parse().unwrap();
            assert!(!is_public(ip), "{internal} must be refused");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            let ip: IpAddr = public.parse().unwrap();
            assert!(is_public(ip), "{public} must be allowed");
        }
    }

    #[tokio::test]
    async fn urls_must_be_http_and_not_internal() {
        for (url, code) in [
            ("ftp://93.184.216.34/x", UserErrorCode::InvalidFormat),
            ("not a url", UserErrorCode::InvalidFormat),
            ("", UserErrorCode::Required),
            (
                "http://user:pw@93.184.216.34/",
                UserErrorCode::InvalidFormat,
            ),
            ("http://127.0.0.1:9000/hook", UserErrorCode::Invalid),
            ("http://[::1]/hook", UserErrorCode::Invalid),
            ("http://localhost/hook", UserErrorCode::Invalid),
            ("https://169.254.169.254/latest", UserErrorCode::Invalid),
        ] {
            let err = check_url("url", url, false).await.err();
            assert_eq!(err.map(|e| e.code), Some(code), "{url}");
        }
        assert!(
            check_url("url", "https://93.184.216.34/hook", false)
                .await
                .is_ok()
        );
        assert!(
            check_url("url", "http://127.0.0.1:9000/hook", true)
                .await
                .is_ok()
        );
    }
}
