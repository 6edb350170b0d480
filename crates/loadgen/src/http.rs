//! A small HTTP/1.1 client for sending the load: one keep-alive connection
//! per concurrent sender, each request written with a single `write` and
//! the answer read into a reused buffer.
//!
//! A general client (reqwest, on hyper) spends more CPU per request than
//! the server's HTTP layer does; with the load generator on the same two
//! cores as the server, that CPU would be taken from the server and the
//! benchmark would measure the client. This one does only what the load
//! needs: POST a prepared body, read the status, `Retry-After` and the
//! body's length (or chunks), keep the connection when the server does.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Where and how to send: the parts of each request that never change.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port` to connect to.
    authority: String,
    /// Request head up to (not including) `Content-Length`.
    head: String,
}

impl Target {
    /// `path` is the request target (`/api/1/envelope/`); `headers` are
    /// extra `(name, value)` pairs sent with every request.
    pub fn new(authority: &str, path: &str, headers: &[(&str, &str)]) -> Self {
        let mut head = format!("POST {path} HTTP/1.1\r\nHost: {authority}\r\n");
        for (name, value) in headers {
            head.push_str(name);
            head.push_str(": ");
            head.push_str(value);
            head.push_str("\r\n");
        }
        Self {
            authority: authority.to_string(),
            head,
        }
    }
}

/// What the load generator needs of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// `Retry-After` in seconds, when sent.
    pub retry_after: Option<u64>,
}

/// One keep-alive connection; reconnects when the server closed it.
pub struct Connection {
    target: std::sync::Arc<Target>,
    stream: Option<TcpStream>,
    out: Vec<u8>,
    buf: Vec<u8>,
}

/// Largest response head accepted.
const MAX_HEAD: usize = 64 * 1024;

impl Connection {
    pub fn new(target: std::sync::Arc<Target>) -> Self {
        Self {
            target,
            stream: None,
            out: Vec::with_capacity(8 * 1024),
            buf: Vec::with_capacity(4 * 1024),
        }
    }

    /// Sends one POST with `body` and reads the whole answer, within
    /// `timeout`. Any error closes the connection (the next request opens
    /// a new one).
    pub async fn post(&mut self, body: &[u8], timeout: Duration) -> io::Result<Answer> {
        let result = tokio::time::timeout(timeout, self.exchange(body))
            .await
            .unwrap_or_else(|_| Err(io::Error::new(io::ErrorKind::TimedOut, "timed out")));
        if !matches!(result, Ok((_, true))) {
            self.stream = None;
        }
        result.map(|(answer, _)| answer)
    }

    /// The answer, and whether the connection can be reused.
    async fn exchange(&mut self, body: &[u8]) -> io::Result<(Answer, bool)> {
        self.out.clear();
        self.out.extend_from_slice(self.target.head.as_bytes());
        self.out
            .extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        self.out.extend_from_slice(body);
        if self.stream.is_none() {
            let stream = TcpStream::connect(&self.target.authority).await?;
            stream.set_nodelay(true)?;
            self.stream = Some(stream);
        }
        let stream = self.stream.as_mut().expect("connected above");
        stream.write_all(&self.out).await?;
        read_answer(stream, &mut self.buf).await
    }
}

/// Reads one response (head and body) from `stream`.
async fn read_answer(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<(Answer, bool)> {
    buf.clear();
    let head_end = loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            break end + 4;
        }
        if buf.len() > MAX_HEAD {
            return Err(invalid("response head too large"));
        }
        if read_more(stream, buf).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before the answer",
            ));
        }
    };
    let head = parse_head(&buf[..head_end])?;
    let mut rest = buf.split_off(head_end);
    match head.body {
        BodyLength::Known(len) => {
            while rest.len() < len {
                if read_more(stream, &mut rest).await? == 0 {
                    return Err(invalid("connection closed inside the body"));
                }
            }
        }
        BodyLength::Chunked => read_chunked(stream, &mut rest).await?,
        BodyLength::UntilClose => while read_more(stream, &mut rest).await? > 0 {},
    }
    let reusable = head.keep_alive && head.body != BodyLength::UntilClose;
    Ok((head.answer, reusable))
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    buf.reserve(4096);
    stream.read_buf(buf).await
}

/// Skips a chunked body (its content is not needed).
async fn read_chunked(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<()> {
    let mut pos = 0;
    loop {
        let line_end = loop {
            if let Some(i) = find(&buf[pos..], b"\r\n") {
                break pos + i;
            }
            if read_more(stream, buf).await? == 0 {
                return Err(invalid("connection closed inside a chunked body"));
            }
        };
        let size_text =
            std::str::from_utf8(&buf[pos..line_end]).map_err(|_| invalid("chunk size"))?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| invalid("chunk size"))?;
        // The chunk, its CRLF; the last chunk (0) ends with an empty line
        // (no trailers are sent to us).
        let needed = line_end + 2 + size + 2;
        while buf.len() < needed {
            if read_more(stream, buf).await? == 0 {
                return Err(invalid("connection closed inside a chunked body"));
            }
        }
        pos = needed;
        if size == 0 {
            return Ok(());
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyLength {
    Known(usize),
    Chunked,
    UntilClose,
}

#[derive(Debug)]
struct Head {
    answer: Answer,
    body: BodyLength,
    keep_alive: bool,
}

fn parse_head(head: &[u8]) -> io::Result<Head> {
    let text = std::str::from_utf8(head).map_err(|_| invalid("response head is not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(invalid("not an HTTP/1 response"));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("bad status line"))?;
    let mut answer = Answer {
        status,
        retry_after: None,
    };
    let mut body = BodyLength::UntilClose;
    let mut keep_alive = version == "HTTP/1.1";
    for line in lines.filter(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            return Err(invalid("bad header line"));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            let len = value.parse().map_err(|_| invalid("bad Content-Length"))?;
            if body != BodyLength::Chunked {
                body = BodyLength::Known(len);
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            if value.to_ascii_lowercase().contains("chunked") {
                body = BodyLength::Chunked;
            }
        } else if name.eq_ignore_ascii_case("connection") {
            let value = value.to_ascii_lowercase();
            if value.contains("close") {
                keep_alive = false;
            } else if value.contains("keep-alive") {
                keep_alive = true;
            }
        } else if name.eq_ignore_ascii_case("retry-after") {
            answer.retry_after = value.parse().ok();
        }
    }
    // No body for these, whatever the headers say.
    if status == 204 || status == 304 || (100..200).contains(&status) {
        body = BodyLength::Known(0);
    }
    Ok(Head {
        answer,
        body,
        keep_alive,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    fn head(text: &str) -> Head {
        parse_head(text.as_bytes()).unwrap()
    }

    #[test]
    fn reads_status_length_and_retry_after() {
        let h =
            head("HTTP/1.1 429 Too Many Requests\r\ncontent-length: 12\r\nretry-after: 3\r\n\r\n");
        assert_eq!(h.answer.status, 429);
        assert_eq!(h.answer.retry_after, Some(3));
        assert_eq!(h.body, BodyLength::Known(12));
        assert!(h.keep_alive);
        let h = head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        assert_eq!(h.body, BodyLength::Chunked);
        assert!(!h.keep_alive);
        let h = head("HTTP/1.0 200 OK\r\n\r\n");
        assert_eq!(h.body, BodyLength::UntilClose);
        assert!(!h.keep_alive);
        assert!(parse_head(b"SSH-2.0\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 abc\r\n\r\n").is_err());
    }

    /// A server that answers each request with the next canned response
    /// (after reading the request's head and Content-Length body).
    async fn serve(responses: Vec<&'static str>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            for response in responses {
                let head_end = loop {
                    if let Some(i) = find(&buf, b"\r\n\r\n") {
                        break i + 4;
                    }
                    socket.read_buf(&mut buf).await.unwrap();
                };
                let text = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let len: usize = text
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap();
                while buf.len() < head_end + len {
                    socket.read_buf(&mut buf).await.unwrap();
                }
                buf.drain(..head_end + len);
                // Split the answer in two writes to exercise partial reads.
                let (a, b) = response.split_at(response.len() / 2);
                socket.write_all(a.as_bytes()).await.unwrap();
                socket.flush().await.unwrap();
                socket.write_all(b.as_bytes()).await.unwrap();
            }
        });
        addr
    }

    #[tokio::test]
    async fn keeps_the_connection_across_answers_of_every_shape() {
        let addr = serve(vec![
            "HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n{\"id\":1}\n",
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\nabcd\r\n3;x=y\r\nefg\r\n0\r\n\r\n",
            "HTTP/1.1 429 Too Many Requests\r\nretry-after: 2\r\ncontent-length: 0\r\n\r\n",
        ])
        .await;
        let target =
            std::sync::Arc::new(Target::new(&addr, "/api/1/envelope/", &[("X-Test", "1")]));
        let mut conn = Connection::new(target);
        let t = Duration::from_secs(5);
        assert_eq!(conn.post(b"hello", t).await.unwrap().status, 200);
        assert_eq!(conn.post(b"again", t).await.unwrap().status, 200);
        let answer = conn.post(b"third", t).await.unwrap();
        assert_eq!(
            answer,
            Answer {
                status: 429,
                retry_after: Some(2)
            }
        );
        // The server is gone now: the next request is an error, not a hang.
        assert!(conn.post(b"fourth", t).await.is_err());
    }
}
