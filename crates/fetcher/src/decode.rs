//! Turning a body into text: the charset from the Content-Type header, else from a
//! `<meta>` declaration near the top of the document, else UTF-8.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252, X_USER_DEFINED};

/// How far into the body a `<meta>` charset declaration is looked for; the HTML
/// standard's prescan stops at 1024 bytes as well.
const META_PRESCAN_BYTES: usize = 1024;

/// Decodes `body` as text; byte sequences invalid in its charset become U+FFFD.
pub fn decode_text(body: &[u8], content_type: Option<&str>) -> String {
    // `decode` also honours a byte order mark, which takes precedence over any label.
    let (text, _, _) = sniff_encoding(body, content_type).decode(body);
    text.into_owned()
}

/// The encoding of `body`: a byte order mark, the Content-Type `charset`, a `<meta>`
/// declaration in the first 1024 bytes, then UTF-8.
pub fn sniff_encoding(body: &[u8], content_type: Option<&str>) -> &'static Encoding {
    if let Some((encoding, _)) = Encoding::for_bom(body) {
        return encoding;
    }
    if let Some(encoding) = content_type
        .and_then(charset_param)
        .and_then(|l| Encoding::for_label(l.as_bytes()))
    {
        return encoding;
    }
    let head = &body[..body.len().min(META_PRESCAN_BYTES)];
    match meta_charset(head).and_then(|l| Encoding::for_label(l.as_bytes())) {
        // A document that declares UTF-16 in ASCII bytes is not UTF-16 (HTML standard).
        Some(e) if e == UTF_16BE || e == UTF_16LE => UTF_8,
        Some(e) if e == X_USER_DEFINED => WINDOWS_1252,
        Some(e) => e,
        None => UTF_8,
    }
}

/// Whether a body with this Content-Type is text (reported as is) rather than binary
/// (reported as base64). A missing Content-Type is not text: the caller may still sniff
/// the body for HTML.
pub fn is_text(content_type: Option<&str>) -> bool {
    let Some(content_type) = content_type else {
        return false;
    };
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let Some((kind, subtype)) = mime.split_once('/') else {
        return false;
    };
    kind == "text"
        || subtype.ends_with("+xml")
        || subtype.ends_with("+json")
        || matches!(
            mime.as_str(),
            "application/json"
                | "application/xml"
                | "application/javascript"
                | "application/ecmascript"
                | "application/x-javascript"
                | "application/x-www-form-urlencoded"
                | "application/x-ndjson"
                | "application/csv"
                | "application/yaml"
                | "application/x-yaml"
                | "image/svg+xml"
        )
}

/// The `charset` parameter of a Content-Type value.
fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(|c| c == '"' || c == '\''))
            .filter(|v| !v.is_empty())
    })
}

/// The charset a `<meta charset>` or `<meta http-equiv=content-type content=...>` tag
/// declares. A simplified form of the HTML standard's prescan: enough for the
/// declarations real pages carry, without the full tokenizer.
fn meta_charset(head: &[u8]) -> Option<String> {
    let lower = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(offset) = find(&lower[from..], b"<meta") {
        let start = from + offset + 5;
        let end = lower[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(lower.len(), |p| start + p);
        let attrs = parse_attributes(&head[start..end]);
        let get = |name: &str| {
            attrs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        if let Some(charset) = get("charset").filter(|c| !c.is_empty()) {
            return Some(charset.to_string());
        }
        if get("http-equiv").is_some_and(|v| v.eq_ignore_ascii_case("content-type")) {
            if let Some(charset) = get("content").and_then(charset_param) {
                return Some(charset.to_string());
            }
        }
        from = end;
    }
    None
}

/// `name=value` pairs of a tag (names lower-cased; values quoted or bare).
fn parse_attributes(tag: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(tag);
    let mut chars = text.chars().peekable();
    let mut attrs = Vec::new();
    loop {
        while chars
            .next_if(|c| c.is_ascii_whitespace() || *c == '/')
            .is_some()
        {}
        let name: String = std::iter::from_fn(|| {
            chars.next_if(|c| !c.is_ascii_whitespace() && *c != '=' && *c != '/')
        })
        .collect();
        if name.is_empty() {
            return attrs;
        }
        while chars.next_if(char::is_ascii_whitespace).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'=').is_some() {
            while chars.next_if(char::is_ascii_whitespace).is_some() {}
            match chars.next_if(|c| *c == '"' || *c == '\'') {
                Some(quote) => value.extend(std::iter::from_fn(|| chars.next_if(|c| *c != quote))),
                None => value.extend(std::iter::from_fn(|| {
                    chars.next_if(|c| !c.is_ascii_whitespace())
                })),
            }
            chars.next_if(|c| *c == '"' || *c == '\'');
        }
        attrs.push((name.to_ascii_lowercase(), value));
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_charset_wins_over_meta() {
        let body = b"<meta charset=utf-8><p>caf\xe9</p>";
        assert_eq!(
            decode_text(body, Some("text/html; charset=ISO-8859-1")),
            "<meta charset=utf-8><p>café</p>"
        );
        assert_eq!(
            decode_text(b"caf\xe9", Some("text/plain; charset=\"windows-1252\"")),
            "café"
        );
    }

    #[test]
    fn meta_charset_and_http_equiv_are_found() {
        let page =
            b"<!doctype html><html><head><META CHARSET='windows-1252'></head><p>na\xefve \x80</p>";
        assert!(decode_text(page, Some("text/html")).ends_with("<p>naïve €</p>"));
        let page = b"<head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\"></head>\xf0\xd2\xc9";
        assert!(decode_text(page, None).ends_with("При"));
    }

    #[test]
    fn meta_after_the_first_1024_bytes_is_ignored() {
        let mut page = vec![b' '; 1100];
        page.extend_from_slice(b"<meta charset=windows-1252>caf\xe9");
        assert!(decode_text(&page, None).ends_with("caf\u{FFFD}"));
    }

    #[test]
    fn utf8_by_default_and_invalid_bytes_are_replaced() {
        assert_eq!(decode_text("héllo".as_bytes(), None), "héllo");
        assert_eq!(
            decode_text(b"a\xff\xfeb\xc3", Some("text/html")),
            "a\u{FFFD}\u{FFFD}b\u{FFFD}"
        );
        assert_eq!(
            decode_text(b"x", Some("text/html; charset=no-such-charset")),
            "x"
        );
    }

    #[test]
    fn a_byte_order_mark_wins() {
        assert_eq!(
            decode_text(
                b"\xEF\xBB\xBFcaf\xc3\xa9",
                Some("text/html; charset=windows-1252")
            ),
            "café"
        );
        assert_eq!(decode_text(b"\xFF\xFEh\x00i\x00", None), "hi");
    }

    #[test]
    fn utf16_declared_in_meta_means_utf8() {
        assert_eq!(sniff_encoding(b"<meta charset=utf-16>", None), UTF_8);
    }

    #[test]
    fn text_versus_binary() {
        for ct in [
            "text/html; charset=utf-8",
            "text/plain",
            "application/json",
            "application/ld+json",
            "application/rss+xml",
            "image/svg+xml",
            "TEXT/CSV",
        ] {
            assert!(is_text(Some(ct)), "{ct}");
        }
        for ct in [
            "image/png",
            "application/pdf",
            "application/octet-stream",
            "video/mp4",
            "nonsense",
        ] {
            assert!(!is_text(Some(ct)), "{ct}");
        }
        assert!(!is_text(None));
    }
}
