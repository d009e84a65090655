//! HTTP responses serialised the way Core's server writes them.

use super::parse::Request;

/// A reply produced by a request handler.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Extra headers (e.g. `Content-Type`, `WWW-Authenticate`).
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// A reply with a status and no body.
    pub fn status(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
    /// A reply with a status and a plain body (default content type).
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: body.into().into_bytes(),
        }
    }
    /// A `200 OK` JSON reply (or another status), `Content-Type: application/json`.
    pub fn json(status: u16, body: String) -> Self {
        Response {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into_bytes(),
        }
    }
    /// Adds a header.
    pub fn with_header(mut self, key: &str, value: &str) -> Self {
        self.headers.push((key.to_string(), value.to_string()));
        self
    }
}

/// Reason phrase for a status code.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// Serialises `response` for `request` (HTTP/1.0 vs 1.1 rules), returning the bytes
/// and whether the connection stays open afterwards.
pub fn serialize(request: Option<&Request>, response: &Response) -> (Vec<u8>, bool) {
    let minor = request.map_or(1, |r| r.minor_version);
    let mut headers = response.headers.clone();
    let needs_body = response.status != 204 && response.status >= 200;
    let mut needs_length = false;
    let mut keep_alive = false;
    let connection = request
        .and_then(|r| r.header("Connection"))
        .map(str::to_ascii_lowercase);
    if minor == 0 {
        if connection.as_deref() == Some("keep-alive") {
            headers.push(("Connection".into(), "keep-alive".into()));
            keep_alive = true;
            needs_length = needs_body;
        }
    } else {
        headers.push(("Date".into(), httpdate()));
        needs_length = needs_body;
        keep_alive = true;
    }
    if needs_length {
        headers.push(("Content-Length".into(), response.body.len().to_string()));
    }
    if needs_body
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("Content-Type"))
    {
        headers.push((
            "Content-Type".into(),
            "text/html; charset=ISO-8859-1".into(),
        ));
    }
    if connection.as_deref() == Some("close") || request.is_none() {
        headers.retain(|(k, _)| !k.eq_ignore_ascii_case("Connection"));
        headers.push(("Connection".into(), "close".into()));
        keep_alive = false;
    }
    let mut out = format!(
        "HTTP/1.{} {} {}\r\n",
        minor,
        response.status,
        reason(response.status)
    );
    for (k, v) in &headers {
        out.push_str(k);
        out.push_str(": ");
        out.push_str(v);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    if needs_body {
        bytes.extend_from_slice(&response.body);
    }
    (bytes, keep_alive)
}

/// Current time in RFC 1123 format (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn httpdate() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MO: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        WD[days.rem_euclid(7) as usize],
        d,
        MO[(m - 1) as usize],
        y,
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Converts days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_date() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_000), (2022, 1, 8));
    }

    #[test]
    fn no_content_has_no_length() {
        let (bytes, keep) = serialize(None, &Response::status(204));
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("HTTP/1.1 204 No Content\r\n"));
        assert!(!text.contains("Content-Length"));
        assert!(!keep);
    }
}
