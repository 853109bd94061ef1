//! A stand-in for GitHub's REST API on loopback, as far as the attestation store goes:
//! `POST /repos/{owner}/{repo}/attestations` with `Authorization: Bearer <token>` and
//! `{"bundle": …}` answers 201 `{"id": N}` (ids from 1001 on), a wrong token 401 "Bad
//! credentials", and, when told, 403 "Resource not accessible by integration" (a job without
//! `attestations: write`) or a run of transient statuses. It keeps every request it got.

use std::sync::{Arc, Mutex};

use tokio::io::AsyncWriteExt;

use super::http1::{Background, Conn, response};

/// One request, as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub body: serde_json::Value,
    /// The status answered.
    pub status: u16,
    /// The id given, when stored.
    pub id: Option<u64>,
}

#[derive(Default)]
struct State {
    token: String,
    /// Statuses to answer next, one per request, before anything else.
    faults: Vec<u16>,
    /// Answer every request 403.
    forbidden: bool,
    received: Vec<Received>,
    next_id: u64,
}

/// The stand-in; stops when dropped.
pub struct GithubApi {
    _server: Background,
    /// `http://127.0.0.1:PORT` (what `GITHUB_API_URL` holds).
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl GithubApi {
    /// Starts it; requests must carry `Bearer {token}`.
    pub fn start(token: &str) -> Self {
        let state = Arc::new(Mutex::new(State {
            token: token.to_string(),
            next_id: 1001,
            ..State::default()
        }));
        let shared = state.clone();
        let (server, addr) = Background::serve(move |listener| async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let mut conn = Conn {
                        stream,
                        buf: Vec::new(),
                    };
                    while let Some(head) = conn.head().await {
                        let Some(body) = conn.body(&head, false).await else {
                            return;
                        };
                        let answer = answer(&state, &head, &body);
                        if conn.stream.write_all(&answer).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        GithubApi {
            _server: server,
            url: format!("http://{addr}"),
            state,
        }
    }

    /// Answers every request 403 from now on (`false`: stores again).
    pub fn forbid(&self, forbidden: bool) {
        self.state.lock().unwrap().forbidden = forbidden;
    }

    /// Answers the next requests with these statuses, one each.
    pub fn fail_next(&self, statuses: &[u16]) {
        self.state.lock().unwrap().faults = statuses.to_vec();
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// The bundles stored so far, with their ids, in the order they were stored.
    pub fn stored(&self) -> Vec<(u64, serde_json::Value)> {
        let state = self.state.lock().unwrap();
        let stored = state
            .received
            .iter()
            .filter_map(|r| Some((r.id?, r.body["bundle"].clone())));
        stored.collect()
    }
}

fn answer(state: &Mutex<State>, head: &super::http1::Head, body: &[u8]) -> Vec<u8> {
    let mut state = state.lock().unwrap();
    let mut parts = head.first.split(' ');
    let (method, path) = (
        parts.next().unwrap_or_default().to_string(),
        parts.next().unwrap_or_default().to_string(),
    );
    let authorization = head.get("authorization").map(str::to_string);
    let json = |status: u16, reason: &str, value: serde_json::Value| {
        let bytes = response(
            status,
            reason,
            &[("content-type", "application/json".to_string())],
            value.to_string().as_bytes(),
        );
        (status, bytes)
    };
    let mut received = Received {
        method: method.clone(),
        path: path.clone(),
        authorization: authorization.clone(),
        body: serde_json::from_slice(body).unwrap_or(serde_json::Value::Null),
        status: 0,
        id: None,
    };
    let route = path
        .strip_prefix("/repos/")
        .and_then(|p| p.strip_suffix("/attestations"))
        .filter(|repo| repo.split('/').count() == 2);
    let (status, out) = if method != "POST" || route.is_none() {
        json(
            404,
            "Not Found",
            serde_json::json!({"message": "Not Found"}),
        )
    } else if authorization.as_deref() != Some(&format!("Bearer {}", state.token)) {
        json(
            401,
            "Unauthorized",
            serde_json::json!({"message": "Bad credentials"}),
        )
    } else if !state.faults.is_empty() {
        let status = state.faults.remove(0);
        json(
            status,
            "Fault",
            serde_json::json!({"message": "injected fault"}),
        )
    } else if state.forbidden {
        json(
            403,
            "Forbidden",
            serde_json::json!({"message": "Resource not accessible by integration"}),
        )
    } else if received.body["bundle"]["mediaType"].as_str().is_none() {
        json(
            422,
            "Unprocessable Entity",
            serde_json::json!({"message": "Invalid bundle"}),
        )
    } else {
        let id = state.next_id;
        state.next_id += 1;
        received.id = Some(id);
        json(201, "Created", serde_json::json!({"id": id}))
    };
    received.status = status;
    state.received.push(received);
    out
}
