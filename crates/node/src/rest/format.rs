//! Splitting a REST path into its parameter, output format and query string.

/// Output format chosen by the path's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// No or unknown extension.
    Undefined,
    /// `.bin`: raw serialized bytes.
    Binary,
    /// `.hex`: hex text.
    Hex,
    /// `.json`: JSON text.
    Json,
}

/// The formats listed in Core's "output format not found" error.
pub(super) const ALL_FORMATS: &str = ".bin, .hex, .json";

/// Drops the query string, then splits a known extension off the end; an
/// unknown extension is left in the parameter (Core reports it as not found).
pub fn parse_format(uri_part: &str) -> (String, Format) {
    let param = match uri_part.rfind('?') {
        Some(q) => &uri_part[..q],
        None => uri_part,
    };
    if let Some(dot) = param.rfind('.') {
        let format = match &param[dot + 1..] {
            "bin" => Some(Format::Binary),
            "hex" => Some(Format::Hex),
            "json" => Some(Format::Json),
            _ => None,
        };
        if let Some(format) = format {
            return (param[..dot].to_string(), format);
        }
    }
    (param.to_string(), Format::Undefined)
}

/// The (percent-decoded) value of query parameter `key`, first occurrence.
pub fn query_param(target: &str, key: &str) -> Option<String> {
    let query = target.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or_default();
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (rpc::request::percent_decode(k) == key).then(|| rpc::request::percent_decode(v))
    })
}

/// A decimal number as Core's `ToIntegral` reads it: no sign other than a
/// leading `-`, no spaces.
pub fn to_integral<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.starts_with('+') {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_queries() {
        assert_eq!(parse_format("abc.json?x=1"), ("abc".into(), Format::Json));
        assert_eq!(parse_format("abc.bin"), ("abc".into(), Format::Binary));
        assert_eq!(
            parse_format("abc.xyz"),
            ("abc.xyz".into(), Format::Undefined)
        );
        assert_eq!(parse_format("abc"), ("abc".into(), Format::Undefined));
        assert_eq!(
            query_param("/a/b.json?count=7&y=2", "count"),
            Some("7".into())
        );
        assert_eq!(query_param("/a/b.json?y=2", "count"), None);
        assert_eq!(query_param("/a/b.json", "count"), None);
        assert_eq!(to_integral::<i32>("+1"), None);
        assert_eq!(to_integral::<i32>("-1"), Some(-1));
        assert_eq!(to_integral::<u32>("12"), Some(12));
    }
}
