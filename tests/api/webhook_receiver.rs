//! A webhook receiver for tests: a raw HTTP/1.1 server on 127.0.0.1 that records every
//! request, answers with scripted statuses (then 200), and notes when the same delivery
//! (path and event id) is in flight twice at once.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    pub fn event_id(&self) -> String {
        self.headers["colead-event-id"].clone()
    }

    /// Checks `Colead-Signature` against `secret`, as a receiver would.
    pub fn signed_with(&self, secret: &str) -> bool {
        let header = &self.headers["colead-signature"];
        let mut t = None;
        let mut v1 = None;
        for part in header.split(',') {
            match part.split_once('=') {
                Some(("t", v)) => t = Some(v.to_owned()),
                Some(("v1", v)) => v1 = Some(v.to_owned()),
                _ => {}
            }
        }
        let (Some(t), Some(v1)) = (t, v1) else {
            return false;
        };
        let age = chrono::Utc::now().timestamp() - t.parse::<i64>().unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.{}", self.body).as_bytes());
        let expected = hex::encode(mac.finalize().into_bytes());
        age.abs() < 300 && expected == v1
    }
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    script: VecDeque<u16>,
    in_flight: HashSet<(String, String)>,
    overlaps: usize,
}

pub struct Receiver {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
}

impl Receiver {
    /// Starts a receiver answering `script` in turn, then 200; each answer takes `delay`.
    pub async fn start(script: &[u16], delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Mutex::new(Shared {
            script: script.iter().copied().collect(),
            ..Default::default()
        }));
        let s = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, s.clone(), delay));
            }
        });
        Self { url, shared }
    }

    /// Waits until `n` requests have arrived (10 s at most) and returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= n || start.elapsed() > Duration::from_secs(20) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// How often a delivery arrived while the same one was still being answered.
    pub fn overlaps(&self) -> usize {
        self.shared.lock().unwrap().overlaps
    }
}

async fn serve(mut stream: TcpStream, shared: Arc<Mutex<Shared>>, delay: Duration) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let path = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("/")
        .to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string();
    let key = (
        path.clone(),
        headers.get("colead-event-id").cloned().unwrap_or_default(),
    );
    let status = {
        let mut s = shared.lock().unwrap();
        if !s.in_flight.insert(key.clone()) {
            s.overlaps += 1;
        }
        s.received.push(Received {
            path,
            headers,
            body,
        });
        s.script.pop_front().unwrap_or(200)
    };
    tokio::time::sleep(delay).await;
    let answer = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
    shared.lock().unwrap().in_flight.remove(&key);
}
