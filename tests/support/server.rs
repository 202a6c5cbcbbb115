//! A real HTTP server on 127.0.0.1 for check tests: known latencies, error statuses, slow and
//! malformed bodies. One thread per connection, `Connection: close`, nothing else.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct TestServer {
    pub port: u16,
}

impl TestServer {
    /// Routes: `/ok`, `/json/<status>` (body `{"status":"<status>","count":75}`),
    /// `/delay/<ms>`, `/status/<code>`, `/malformed`, `/slow-body`, `/fail-first/<n>/<key>`
    /// (the first n requests with that key get 503), `/every/<n>` (every n-th request 500).
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let counts: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let counts = counts.clone();
                std::thread::spawn(move || serve(stream, &counts));
            }
        });
        TestServer { port }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

fn serve(mut stream: TcpStream, counts: &Mutex<HashMap<String, u32>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Headers, up to the blank line; bodies of test requests are ignored.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let count = |key: String| {
        let mut counts = counts.lock().unwrap();
        let n = counts.entry(key).or_default();
        *n += 1;
        *n
    };
    let (status, body) = match parts.as_slice() {
        ["ok"] => (200, "ok".to_string()),
        ["json", status] => (200, format!("{{\"status\":\"{status}\",\"count\":75}}")),
        ["delay", ms] => {
            std::thread::sleep(Duration::from_millis(ms.parse().unwrap_or(0)));
            (200, "ok".to_string())
        }
        ["status", code] => (code.parse().unwrap_or(500), "status".to_string()),
        ["malformed"] => (200, "{\"status\": \"ok\", \"count\": ".to_string()),
        ["slow-body"] => {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\npartial");
            std::thread::sleep(Duration::from_secs(5));
            return;
        }
        ["fail-first", n, key] => {
            let seen = count(key.to_string());
            if seen <= n.parse().unwrap_or(0) {
                (503, "warming up".to_string())
            } else {
                (200, "ok".to_string())
            }
        }
        ["every", n] => {
            let seen = count(path.clone());
            if seen % n.parse::<u32>().unwrap_or(1) == 0 {
                (500, "boom".to_string())
            } else {
                (200, "ok".to_string())
            }
        }
        _ => (404, "not found".to_string()),
    };
    let reply = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes());
}
