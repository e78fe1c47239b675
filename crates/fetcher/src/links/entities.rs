//! Character references in attribute values.
//!
//! lol_html hands attribute values over as they appear in the source, so `&amp;` in an
//! href is still `&amp;`. This decodes them the way the HTML standard's tokenizer does
//! inside an attribute value, using the same table of named references as html5ever.

use web_atoms::{C1_REPLACEMENTS, NAMED_ENTITIES};

/// The longest named reference (`&CounterClockwiseContourIntegral;`) is 33 bytes.
const LONGEST_NAME: usize = 33;

/// Decodes the character references in an attribute value.
pub fn decode_attribute(raw: &str) -> String {
    if !raw.contains('&') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let (decoded, consumed) = if let Some(numeric) = after.strip_prefix('#') {
            numeric_reference(numeric).map_or((None, 0), |(c, len)| (Some(c), len + 1))
        } else {
            named_reference(after).map_or((None, 0), |(s, len)| (Some(s), len))
        };
        match decoded {
            Some(text) => {
                out.push_str(&text);
                rest = &after[consumed..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `&#38;`, `&#x26;` (the `;` is optional); returns the text and the bytes consumed
/// after `#`.
fn numeric_reference(s: &str) -> Option<(String, usize)> {
    let (radix, digits_start) = match s.as_bytes().first() {
        Some(b'x' | b'X') => (16, 1),
        _ => (10, 0),
    };
    let digits = s[digits_start..]
        .bytes()
        .take_while(|b| char::from(*b).is_digit(radix))
        .count();
    if digits == 0 {
        return None;
    }
    let mut consumed = digits_start + digits;
    let number = u32::from_str_radix(&s[digits_start..consumed], radix).unwrap_or(u32::MAX);
    if s.as_bytes().get(consumed) == Some(&b';') {
        consumed += 1;
    }
    let c = match number {
        0x80..=0x9F => C1_REPLACEMENTS[(number - 0x80) as usize].or_else(|| char::from_u32(number)),
        0 => None,
        n => char::from_u32(n),
    };
    Some((c.unwrap_or('\u{FFFD}').to_string(), consumed))
}

/// The longest named reference at the start of `s`. In attribute values a reference
/// without its `;` followed by `=` or an alphanumeric is left alone, so that query
/// strings like `?a=1&copy=2` survive.
fn named_reference(s: &str) -> Option<(String, usize)> {
    let mut best: Option<(usize, (u32, u32))> = None;
    for len in 1..=s.len().min(LONGEST_NAME) {
        if !s.is_char_boundary(len) {
            continue;
        }
        match NAMED_ENTITIES.get(&s[..len]) {
            // Every prefix of a name is in the table with (0, 0), so a miss ends the search.
            None => break,
            Some(&(0, _)) => {}
            Some(&codepoints) => best = Some((len, codepoints)),
        }
    }
    let (len, (first, second)) = best?;
    if !s[..len].ends_with(';') {
        let next = s.as_bytes().get(len);
        if next.is_some_and(|b| *b == b'=' || b.is_ascii_alphanumeric()) {
            return None;
        }
    }
    let text: String = [first, second]
        .into_iter()
        .filter(|c| *c != 0)
        .filter_map(char::from_u32)
        .collect();
    Some((text, len))
}

#[cfg(test)]
mod tests {
    use super::decode_attribute;

    #[test]
    fn named_and_numeric_references_are_decoded() {
        assert_eq!(decode_attribute("/a?x=1&amp;y=2"), "/a?x=1&y=2");
        assert_eq!(decode_attribute("/&#47;&#x2F;&#X2f"), "////");
        assert_eq!(decode_attribute("caf&eacute;&nbsp;"), "caf\u{e9}\u{a0}");
        assert_eq!(
            decode_attribute("&#128;&#0;&#x110000;"),
            "\u{20ac}\u{FFFD}\u{FFFD}"
        );
    }

    #[test]
    fn legacy_references_in_query_strings_are_left_alone() {
        assert_eq!(decode_attribute("?a=1&copy=2"), "?a=1&copy=2");
        assert_eq!(decode_attribute("?a=1&copyx"), "?a=1&copyx");
        assert_eq!(decode_attribute("?a=1&copy 2"), "?a=1\u{a9} 2");
        assert_eq!(decode_attribute("&amp"), "&");
    }

    #[test]
    fn unknown_references_and_lone_ampersands_stay() {
        assert_eq!(decode_attribute("a&b"), "a&b");
        assert_eq!(decode_attribute("&nosuch;"), "&nosuch;");
        assert_eq!(decode_attribute("&#;&#x;"), "&#;&#x;");
        assert_eq!(decode_attribute("&"), "&");
        assert_eq!(decode_attribute("é&é"), "é&é");
    }
}
