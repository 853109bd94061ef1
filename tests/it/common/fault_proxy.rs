//! A fault-injecting HTTP/1.1 proxy that sits between `pypi-publish` and a real index and,
//! at random from a seed, breaks requests the ways networks and load balancers do: resets
//! mid-body, 502/503 bursts, 429 with `Retry-After`, the answer dropped after the index
//! stored the file, and stalled connections. It counts what it did, and per file how often
//! the index stored it, so a test can prove nothing was lost or sent twice.
//!
//! It can also play a misconfigured server that echoes the request headers (Authorization
//! included) and the decoded credentials back in an error body, for the secret-leak tests.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::http1::{Conn, Head, forward, response, status_of, upload_filename};

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// The connection is reset (RST) while the request body is still coming.
    ResetMidBody,
    /// This request and the next 0–2 get 502 Bad Gateway.
    Burst502,
    /// This request and the next 0–2 get 503 Service Unavailable.
    Burst503,
    /// 429 Too Many Requests with `Retry-After`.
    TooMany,
    /// Forwarded; the index answers (and stores the file); the answer never reaches the client.
    DropAfterStore,
    /// The connection stops reading mid-body and never answers.
    Stall,
    /// Forwarded and stored; the answer is held back until the client gives up (only by
    /// [`Plan::after`]).
    HoldAfterStore,
    /// Forwarded and stored; the answer's status and headers arrive, then the connection
    /// drops before the end of its body (only by [`Plan::after`]).
    CutAnswer,
}

impl Fault {
    /// Every kind.
    pub const ALL: [Fault; 6] = [
        Fault::ResetMidBody,
        Fault::Burst502,
        Fault::Burst503,
        Fault::TooMany,
        Fault::DropAfterStore,
        Fault::Stall,
    ];

    /// Whether it can hit a lookup (GET): the body-related faults are upload-only.
    fn hits_gets(self) -> bool {
        matches!(self, Fault::Burst502 | Fault::Burst503 | Fault::TooMany)
    }
}

/// Which requests the echoing server answers with the echo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    /// Uploads (POST) only, with this status.
    Posts(u16),
    /// Lookups (GET) only, with this status.
    Gets(u16),
}

/// What to inject.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Seeds the choices.
    pub seed: u64,
    /// Probability that a request gets a fault (bursts then extend it).
    pub rate: f64,
    /// Kinds to choose from.
    pub kinds: Vec<Fault>,
    /// Faults on lookups too.
    pub on_gets: bool,
    /// `Retry-After` seconds for 429.
    pub retry_after: u64,
    /// Echo headers and credentials in error bodies instead of faults.
    pub echo: Option<Echo>,
    /// After this many uploads pass untouched, every upload gets this fault.
    pub after: Option<(u64, Fault)>,
    /// Once `after` has started faulting, lookups hang too.
    pub hold_lookups: bool,
    /// `(status, base URL, uploads, lookups)`: answer uploads and/or lookups with this
    /// redirect to the base URL (the request path appended) instead of forwarding them.
    pub redirect: Option<(u16, String, bool, bool)>,
    /// A brownout: every request gets 502 for this long from the first upload on (so that
    /// it hits uploads and the lookups between their attempts alike).
    pub outage: Option<Duration>,
    /// Play a server that is not an upload endpoint: every upload gets this status (405
    /// from a site's front page, 501 from a plain web server); lookups are forwarded.
    pub refuse_posts: Option<u16>,
}

impl Plan {
    /// No faults at all: a transparent proxy.
    pub fn none() -> Self {
        Plan {
            seed: 0,
            rate: 0.0,
            kinds: Vec::new(),
            on_gets: false,
            retry_after: 1,
            echo: None,
            after: None,
            hold_lookups: false,
            redirect: None,
            outage: None,
            refuse_posts: None,
        }
    }
}

/// What the proxy did and saw.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Faults injected, by kind.
    pub injected: BTreeMap<Fault, u64>,
    /// Upload POSTs received.
    pub posts: u64,
    /// Lookups received.
    pub gets: u64,
    /// Per file: upload answers of 200 from the index.
    pub accepted: BTreeMap<String, u32>,
    /// Uploads forwarded to the index for a file it had already accepted.
    pub resent_after_store: u64,
    /// A POST for a file sooner after a 429 than its `Retry-After` allowed.
    pub retry_after_violations: Vec<String>,
    /// Every Authorization header value seen (for the leak tests).
    pub authorizations: Vec<String>,
    /// One line per request: time, method and path (and file), what happened.
    pub log: Vec<String>,
    /// Bytes of upload bodies received (what a refusal cost).
    pub posted_bytes: u64,
    /// The most upload POSTs in flight at once (head received, answer not yet written).
    pub most_posts_in_flight: u64,
    /// Upload POSTs received before the first upload's answer was written.
    pub posts_before_first_answer: Option<u64>,
}

impl Tally {
    /// Faults injected, all kinds.
    pub fn total(&self) -> u64 {
        self.injected.values().sum()
    }
}

struct State {
    started: Instant,
    /// When the outage began (the first upload under the plan).
    outage_from: Option<Instant>,
    plan: Plan,
    rng: fastrand::Rng,
    burst: Option<(u16, u32)>,
    tally: Tally,
    /// When a file got a 429, and how long it was told to wait.
    told_to_wait: BTreeMap<String, (Instant, Duration)>,
    /// Upload POSTs in flight now.
    posts_in_flight: u64,
}

/// Counts an upload POST in flight until dropped (every way out of its handling).
struct InFlight(Arc<Mutex<State>>);

impl InFlight {
    fn start(state: &Arc<Mutex<State>>) -> Self {
        let mut s = state.lock().unwrap();
        s.posts_in_flight += 1;
        s.tally.most_posts_in_flight = s.tally.most_posts_in_flight.max(s.posts_in_flight);
        InFlight(state.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut s) = self.0.lock() {
            s.posts_in_flight -= 1;
        }
    }
}

/// What to do with one request.
#[derive(Debug, Clone, Copy)]
enum Action {
    Pass,
    Status(u16),
    Fault(Fault),
    Echo(u16),
    Redirect,
}

/// A running proxy; stops when dropped.
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub url: String,
    state: Arc<Mutex<State>>,
    _server: super::http1::Background,
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream` (`http://host:port`).
    pub fn start(upstream: &str, plan: Plan) -> Self {
        let upstream: SocketAddr = upstream
            .strip_prefix("http://")
            .expect("http upstream")
            .trim_end_matches('/')
            .parse()
            .expect("upstream host:port");
        let state = Arc::new(Mutex::new(State {
            started: Instant::now(),
            outage_from: None,
            rng: fastrand::Rng::with_seed(plan.seed),
            plan,
            burst: None,
            tally: Tally::default(),
            told_to_wait: BTreeMap::new(),
            posts_in_flight: 0,
        }));
        let shared = state.clone();
        let (server, addr) = super::http1::Background::serve(|listener| async move {
            let mut id = 0u64;
            while let Ok((client, _)) = listener.accept().await {
                let _ = client.set_nodelay(true);
                id += 1;
                tokio::spawn(serve(client, id, upstream, shared.clone()));
            }
        });
        FaultProxy {
            url: format!("http://{addr}"),
            state,
            _server: server,
        }
    }

    /// What it did so far.
    pub fn tally(&self) -> Tally {
        self.state.lock().unwrap().tally.clone()
    }

    /// Changes the plan (the seed restarts the choices) for the next run: earlier 429s no
    /// longer bind it.
    pub fn set_plan(&self, plan: Plan) {
        let mut s = self.state.lock().unwrap();
        s.told_to_wait.clear();
        s.outage_from = None;
        s.rng = fastrand::Rng::with_seed(plan.seed);
        s.plan = plan;
        s.burst = None;
    }
}

impl State {
    fn decide(&mut self, is_post: bool, is_exchange: bool) -> Action {
        if let Some(outage) = self.plan.outage {
            if is_post && self.outage_from.is_none() {
                self.outage_from = Some(Instant::now());
            }
            if self.outage_from.is_some_and(|from| from.elapsed() < outage) {
                return Action::Status(502);
            }
        }
        if let (Some(status), true) = (self.plan.refuse_posts, is_post) {
            return Action::Status(status);
        }
        if let Some((_, _, posts, gets)) = &self.plan.redirect
            && ((is_post && *posts) || (!is_post && *gets))
        {
            return Action::Redirect;
        }
        if let Some(echo) = self.plan.echo {
            return match echo {
                // The token exchange goes through: the echo is for what it enables.
                Echo::Posts(status) if is_post && !is_exchange => Action::Echo(status),
                Echo::Gets(status) if !is_post => Action::Echo(status),
                _ => Action::Pass,
            };
        }
        let faulting = self.plan.after.is_some_and(|(n, _)| self.tally.posts > n);
        if self.plan.hold_lookups && faulting && !is_post {
            return Action::Fault(Fault::Stall);
        }
        if let (Some((n, fault)), true) = (self.plan.after, is_post) {
            if self.tally.posts <= n {
                return Action::Pass;
            }
            *self.tally.injected.entry(fault).or_default() += 1;
            return Action::Fault(fault);
        }
        if let Some((status, left)) = self.burst {
            self.burst = (left > 1).then_some((status, left - 1));
            return Action::Status(status);
        }
        if !(is_post || self.plan.on_gets) || self.rng.f64() >= self.plan.rate {
            return Action::Pass;
        }
        let kinds: Vec<Fault> = self
            .plan
            .kinds
            .iter()
            .copied()
            .filter(|k| is_post || k.hits_gets())
            .collect();
        if kinds.is_empty() {
            return Action::Pass;
        }
        let fault = kinds[self.rng.usize(..kinds.len())];
        *self.tally.injected.entry(fault).or_default() += 1;
        match fault {
            Fault::Burst502 | Fault::Burst503 => {
                let status = if fault == Fault::Burst502 { 502 } else { 503 };
                let more = self.rng.u32(0..3);
                self.burst = (more > 0).then_some((status, more));
                Action::Status(status)
            }
            other => Action::Fault(other),
        }
    }
}

async fn serve(stream: TcpStream, id: u64, upstream: SocketAddr, state: Arc<Mutex<State>>) {
    let mut conn = Conn {
        stream,
        buf: Vec::new(),
    };
    while let Some(head) = conn.head().await {
        let is_post = head.first.starts_with("POST ");
        let _in_flight = is_post.then(|| InFlight::start(&state));
        let action = {
            let mut s = state.lock().unwrap();
            if is_post {
                s.tally.posts += 1;
            } else {
                s.tally.gets += 1;
            }
            if let Some(auth) = head.get("authorization") {
                s.tally.authorizations.push(auth.to_string());
            }
            let action = s.decide(is_post, head.first.contains(" /_/oidc/"));
            let line = format!(
                "{:>8.3}s #{id} {} {action:?}",
                s.started.elapsed().as_secs_f64(),
                head.first
            );
            s.tally.log.push(line);
            action
        };
        match action {
            Action::Fault(Fault::ResetMidBody) => {
                let partial = conn.partial_body(&head).await;
                state.lock().unwrap().tally.posted_bytes += partial.len() as u64;
                note_file(&state, &partial, None);
                conn.reset();
                return;
            }
            Action::Fault(Fault::Stall) => {
                let partial = conn.partial_body(&head).await;
                state.lock().unwrap().tally.posted_bytes += partial.len() as u64;
                note_file(&state, &partial, None);
                hold(&mut conn).await;
                return;
            }
            _ => {}
        }
        let Some(body) = conn.body(&head, false).await else {
            return;
        };
        if is_post {
            state.lock().unwrap().tally.posted_bytes += body.len() as u64;
        }
        let file = is_post.then(|| upload_filename(&body)).flatten();
        if let Some(file) = &file {
            let mut s = state.lock().unwrap();
            let line = format!(
                "{:>8.3}s #{id}   body of {file}",
                s.started.elapsed().as_secs_f64()
            );
            s.tally.log.push(line);
        }
        let reply = match action {
            Action::Status(status) => {
                note_file(&state, &body, None);
                let reason = match status {
                    401 => "Unauthorized",
                    404 => "Not Found",
                    405 => "Method Not Allowed",
                    501 => "Unsupported method ('POST')",
                    502 => "Bad Gateway",
                    _ => "Service Unavailable",
                };
                let page = format!(
                    "<html><head><title>{status} {reason}</title></head><body><h1>{status} {reason}</h1></body></html>"
                );
                response(
                    status,
                    reason,
                    &[("content-type", "text/html".into())],
                    page.as_bytes(),
                )
            }
            Action::Fault(Fault::TooMany) => {
                let wait = state.lock().unwrap().plan.retry_after;
                note_file(&state, &body, Some(Duration::from_secs(wait)));
                response(
                    429,
                    "Too Many Requests",
                    &[("retry-after", wait.to_string())],
                    b"429 Too Many Requests",
                )
            }
            Action::Echo(status) => echo(status, &head),
            Action::Redirect => {
                let (status, to) = {
                    let s = state.lock().unwrap();
                    let (status, to, _, _) = s.plan.redirect.clone().unwrap();
                    (status, to)
                };
                let path = head.first.split(' ').nth(1).unwrap_or("/");
                response(
                    status,
                    "Redirect",
                    &[("location", format!("{to}{path}"))],
                    b"",
                )
            }
            Action::Pass | Action::Fault(_) => {
                if let Some(file) = &file {
                    let mut s = state.lock().unwrap();
                    if s.tally.accepted.get(file).is_some_and(|n| *n > 0) {
                        s.tally.resent_after_store += 1;
                    }
                    check_wait(&mut s, file);
                }
                let Some((answer, bytes)) = forward(upstream, &head, &body).await else {
                    conn.reset();
                    return;
                };
                {
                    let mut s = state.lock().unwrap();
                    let line = format!(
                        "{:>8.3}s #{id}   {} -> {}",
                        s.started.elapsed().as_secs_f64(),
                        file.as_deref().unwrap_or(""),
                        answer.first
                    );
                    s.tally.log.push(line);
                }
                if let (Some(file), 200) = (&file, status_of(&answer)) {
                    *state
                        .lock()
                        .unwrap()
                        .tally
                        .accepted
                        .entry(file.clone())
                        .or_default() += 1;
                }
                match action {
                    Action::Fault(Fault::DropAfterStore) => {
                        conn.reset();
                        return;
                    }
                    Action::Fault(Fault::HoldAfterStore) => {
                        hold(&mut conn).await;
                        return;
                    }
                    _ => {}
                }
                // A cut answer promises more body than it sends.
                let cut = matches!(action, Action::Fault(Fault::CutAnswer));
                let mut out = format!("{}\r\n", answer.first.replacen("HTTP/1.0", "HTTP/1.1", 1));
                super::http1::push_end_to_end(&mut out, &answer.headers);
                let promised = bytes.len() + if cut { 100 } else { 0 };
                out.push_str(&format!("content-length: {promised}\r\n\r\n"));
                let mut reply = out.into_bytes();
                reply.extend(bytes);
                if cut {
                    // A clean close (not a reset, which could drop the head too).
                    let _ = conn.stream.write_all(&reply).await;
                    let _ = conn.stream.shutdown().await;
                    return;
                }
                reply
            }
        };
        if is_post {
            let mut s = state.lock().unwrap();
            s.tally.posts_before_first_answer =
                s.tally.posts_before_first_answer.or(Some(s.tally.posts));
        }
        if conn.stream.write_all(&reply).await.is_err() {
            return;
        }
    }
}

/// Holds the connection, reading nothing, until the client gives up (or two minutes pass).
async fn hold(conn: &mut Conn) {
    let _ = tokio::time::timeout(Duration::from_secs(120), async {
        let mut one = [0u8; 1];
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            // A peek, not a read: the kernel buffer stays full, so a sender stays stalled.
            match conn.stream.peek(&mut one).await {
                Ok(0) => return,
                Err(_) => return,
                _ => {}
            }
        }
    })
    .await;
}

/// Remembers a 429 for the file (and checks earlier ones).
fn note_file(state: &Arc<Mutex<State>>, body: &[u8], wait: Option<Duration>) {
    let Some(file) = upload_filename(body) else {
        return;
    };
    let mut s = state.lock().unwrap();
    check_wait(&mut s, &file);
    if let Some(wait) = wait {
        s.told_to_wait.insert(file, (Instant::now(), wait));
    }
}

fn check_wait(s: &mut State, file: &str) {
    if let Some((at, wait)) = s.told_to_wait.remove(file) {
        // 50 ms of slack for timer granularity.
        if at.elapsed() + Duration::from_millis(50) < wait {
            s.tally.retry_after_violations.push(format!(
                "{file}: re-sent {:?} after a 429 with Retry-After {:?}",
                at.elapsed(),
                wait
            ));
        }
    }
}

/// A misconfigured server's error page: the request headers and the decoded credentials.
fn echo(status: u16, head: &Head) -> Vec<u8> {
    use base64::Engine;
    let mut page = format!("{status} Request rejected\n\nYou sent:\n{}\n", head.first);
    for (k, v) in &head.headers {
        page.push_str(&format!("{k}: {v}\n"));
    }
    if let Some(basic) = head
        .get("authorization")
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .unwrap_or_default();
        page.push_str(&format!(
            "credentials: {}\n",
            String::from_utf8_lossy(&decoded)
        ));
    }
    let reason = "Request rejected";
    response(
        status,
        reason,
        &[("content-type", "text/plain".into())],
        page.as_bytes(),
    )
}
