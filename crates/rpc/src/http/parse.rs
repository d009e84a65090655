//! Incremental HTTP/1.x request parsing with Core's limits and error cases.

/// Largest accepted request line plus headers (and chunked trailer), in bytes.
pub const MAX_HEADERS_SIZE: usize = 8192;
/// Largest accepted request body, in bytes.
pub const MAX_BODY_SIZE: usize = 32 * 1024 * 1024;
const MIN_REQUEST_LINE_LENGTH: usize = "GET / HTTP/1.0".len();

/// HTTP request method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// HEAD
    Head,
    /// PUT
    Put,
    /// Anything else (answered with 405).
    Unknown,
}

/// One complete request read off a connection.
#[derive(Debug, Clone)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Request target (path and query).
    pub target: String,
    /// Minor version of HTTP/1.x.
    pub minor_version: u8,
    /// Headers in order of arrival.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Request {
    /// First header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Malformed request: answer 400 and close.
    BadRequest(String),
    /// Body over the limit: answer 413 and close.
    TooLarge(String),
}

/// Outcome of trying to parse one request from the front of a buffer.
#[derive(Debug)]
pub enum Parsed {
    /// More bytes are needed.
    Incomplete,
    /// A request, and how many bytes of the buffer it used.
    Complete(Request, usize),
}

struct LineReader<'a> {
    buf: &'a [u8],
    pos: usize,
    max_line_total: usize,
}

impl<'a> LineReader<'a> {
    /// Next line without its `\n` / `\r\n`, or `None` if no full line is buffered.
    fn read_line(&mut self) -> Result<Option<&'a [u8]>, ParseError> {
        let rest = &self.buf[self.pos..];
        match rest.iter().position(|&b| b == b'\n') {
            Some(n) => {
                if self.pos + n + 1 > self.max_line_total {
                    return Err(ParseError::BadRequest(
                        "HTTP headers exceed size limit".into(),
                    ));
                }
                let mut line = &rest[..n];
                if line.last() == Some(&b'\r') {
                    line = &line[..line.len() - 1];
                }
                self.pos += n + 1;
                Ok(Some(line))
            }
            None => {
                if self.buf.len() > self.max_line_total {
                    return Err(ParseError::BadRequest(
                        "HTTP headers exceed size limit".into(),
                    ));
                }
                Ok(None)
            }
        }
    }
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        out
    }
}

fn bad(msg: &str) -> ParseError {
    ParseError::BadRequest(msg.to_string())
}

/// Tries to parse one request from the start of `buf`.
pub fn parse_request(buf: &[u8]) -> Result<Parsed, ParseError> {
    let mut reader = LineReader {
        buf,
        pos: 0,
        max_line_total: MAX_HEADERS_SIZE,
    };
    let Some(line) = reader.read_line()? else {
        return Ok(Parsed::Incomplete);
    };
    let line = std::str::from_utf8(line).map_err(|_| bad("HTTP request line malformed"))?;
    if line.len() < MIN_REQUEST_LINE_LENGTH {
        return Err(bad("HTTP request line too short"));
    }
    if line.contains('\0') {
        return Err(bad("Invalid request line contains NUL"));
    }
    let parts: Vec<&str> = line.split(' ').collect();
    if parts.len() != 3 {
        return Err(bad("HTTP request line malformed"));
    }
    let method = match parts[0] {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "HEAD" => Method::Head,
        "PUT" => Method::Put,
        _ => Method::Unknown,
    };
    let version = parts[2]
        .strip_prefix("HTTP/")
        .ok_or_else(|| bad("HTTP request line malformed"))?;
    let minor_version = match version.as_bytes() {
        [b'1', b'.', m] if m.is_ascii_digit() => m - b'0',
        [_, b'.', _] => return Err(bad("HTTP bad version")),
        _ => return Err(bad("HTTP request line malformed")),
    };
    let mut headers = Vec::new();
    loop {
        let Some(line) = reader.read_line()? else {
            return Ok(Parsed::Incomplete);
        };
        if line.is_empty() {
            break;
        }
        if line.iter().any(|&b| b == b'\r' || b == 0) {
            return Err(bad("Header contains invalid character"));
        }
        let line = String::from_utf8_lossy(line);
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| bad("HTTP header missing colon (:)"))?;
        if key.chars().any(|c| c.is_ascii_whitespace()) {
            return Err(bad("Invalid header field-name contains whitespace"));
        }
        if key.is_empty() {
            return Err(bad("Empty HTTP header name"));
        }
        headers.push((key.to_string(), value.trim().to_string()));
    }
    let mut request = Request {
        method,
        target: parts[1].to_string(),
        minor_version,
        headers,
        body: Vec::new(),
    };
    let chunked = request
        .header("Transfer-Encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    if chunked {
        loop {
            let Some(size_line) = reader.read_body_line()? else {
                return Ok(Parsed::Incomplete);
            };
            let size_text = String::from_utf8_lossy(size_line);
            let size_text = size_text.split(';').next().unwrap_or("").trim();
            let size = u64::from_str_radix(size_text, 16)
                .map_err(|_| bad("Cannot parse chunk length value"))?;
            if size > (MAX_BODY_SIZE - request.body.len()) as u64 {
                return Err(ParseError::TooLarge(
                    "Chunk will exceed max body size".into(),
                ));
            }
            if size == 0 {
                let trailer_start = reader.pos;
                loop {
                    let line = reader.read_body_line()?;
                    if reader.pos - trailer_start > MAX_HEADERS_SIZE {
                        return Err(bad("HTTP chunked trailer exceeds size limit"));
                    }
                    match line {
                        None => return Ok(Parsed::Incomplete),
                        Some([]) => return Ok(Parsed::Complete(request, reader.pos)),
                        Some(_) => {}
                    }
                }
            }
            let size = size as usize;
            if reader.remaining() < size {
                return Ok(Parsed::Incomplete);
            }
            request.body.extend_from_slice(reader.take(size));
            match reader.read_body_line()? {
                None => return Ok(Parsed::Incomplete),
                Some(l) if !l.is_empty() => return Err(bad("Improperly terminated chunk")),
                Some(_) => {}
            }
        }
    }
    let lengths: Vec<&str> = request
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("Content-Length"))
        .map(|(_, v)| v.as_str())
        .collect();
    let Some(first) = lengths.first() else {
        return Ok(Parsed::Complete(request, reader.pos));
    };
    if lengths.iter().any(|v| v != first) {
        return Err(bad("Differing Content-Length values"));
    }
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("Cannot parse Content-Length value"));
    }
    let length: u64 = first
        .parse()
        .map_err(|_| bad("Cannot parse Content-Length value"))?;
    if length > MAX_BODY_SIZE as u64 {
        return Err(ParseError::TooLarge("Max body size exceeded".into()));
    }
    let length = length as usize;
    if reader.remaining() < length {
        return Ok(Parsed::Incomplete);
    }
    request.body = reader.take(length).to_vec();
    Ok(Parsed::Complete(request, reader.pos))
}

impl<'a> LineReader<'a> {
    /// A body framing line (chunk size, chunk end, trailer): each is limited to
    /// [`MAX_HEADERS_SIZE`] bytes on its own, so a client cannot make us buffer
    /// an endless line while we wait for its `\n`.
    fn read_body_line(&mut self) -> Result<Option<&'a [u8]>, ParseError> {
        let rest = &self.buf[self.pos..];
        let Some(n) = rest.iter().position(|&b| b == b'\n') else {
            if rest.len() > MAX_HEADERS_SIZE {
                return Err(bad(LINE_TOO_LONG));
            }
            return Ok(None);
        };
        if n > MAX_HEADERS_SIZE {
            return Err(bad(LINE_TOO_LONG));
        }
        let mut line = &rest[..n];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        self.pos += n + 1;
        Ok(Some(line))
    }
}

/// Core's error for a body framing line over the limit.
const LINE_TOO_LONG: &str = "max_line_length exceeded by LineReader";

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(buf: &[u8]) -> (Request, usize) {
        match parse_request(buf).unwrap() {
            Parsed::Complete(r, n) => (r, n),
            Parsed::Incomplete => panic!("incomplete"),
        }
    }

    #[test]
    fn parses_post_with_body_and_pipelined_rest() {
        let buf = b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}GET";
        let (r, n) = complete(buf);
        assert_eq!(r.method, Method::Post);
        assert_eq!(r.body, b"{}");
        assert_eq!(&buf[n..], b"GET");
    }

    #[test]
    fn waits_for_body() {
        let buf = b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n{}";
        assert!(matches!(parse_request(buf).unwrap(), Parsed::Incomplete));
    }

    #[test]
    fn chunked_body() {
        let buf = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
        let (r, n) = complete(buf);
        assert_eq!(r.body, b"{}");
        assert_eq!(n, buf.len());
    }

    #[test]
    fn oversized_headers_are_bad_request() {
        let mut buf = b"GET /".to_vec();
        buf.extend(std::iter::repeat_n(b'x', MAX_HEADERS_SIZE));
        buf.extend(b" HTTP/1.1\r\n\r\n");
        assert!(matches!(
            parse_request(&buf),
            Err(ParseError::BadRequest(_))
        ));
    }

    #[test]
    fn endless_chunk_size_line_is_bad_request() {
        let mut buf = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        buf.extend(std::iter::repeat_n(b'0', MAX_HEADERS_SIZE));
        assert!(matches!(parse_request(&buf).unwrap(), Parsed::Incomplete));
        buf.push(b'0');
        assert_eq!(
            parse_request(&buf).unwrap_err(),
            ParseError::BadRequest(LINE_TOO_LONG.into())
        );
        // A complete line over the limit is refused the same way.
        buf.extend(b"\r\n");
        assert_eq!(
            parse_request(&buf).unwrap_err(),
            ParseError::BadRequest(LINE_TOO_LONG.into())
        );
    }

    #[test]
    fn endless_chunk_terminator_is_bad_request() {
        let mut buf = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}".to_vec();
        buf.extend(std::iter::repeat_n(b'x', MAX_HEADERS_SIZE + 1));
        assert_eq!(
            parse_request(&buf).unwrap_err(),
            ParseError::BadRequest(LINE_TOO_LONG.into())
        );
    }

    #[test]
    fn oversized_body_is_too_large() {
        let buf = format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY_SIZE + 1
        );
        assert!(matches!(
            parse_request(buf.as_bytes()),
            Err(ParseError::TooLarge(_))
        ));
    }

    #[test]
    fn garbage_is_bad_request() {
        assert!(parse_request(b"hello there world\r\n").is_err());
        assert!(parse_request(b"GET / HTTP/2.0\r\n\r\n").is_err());
        assert!(parse_request(b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n").is_err());
        assert!(parse_request(b"POST / HTTP/1.1\r\nNoColon\r\n\r\n").is_err());
    }
}
