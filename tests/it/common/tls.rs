//! A test PKI and a TLS-terminating front: a self-signed CA (rcgen) issues a server
//! certificate, and a tokio-rustls listener decrypts and forwards the bytes to a plain
//! loopback server (the test index), offering HTTP/2 and HTTP/1.1 by ALPN.

use std::net::SocketAddr;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A CA and one server certificate it signed.
pub struct Pki {
    /// The CA certificate, PEM (what `--ca-bundle` is given).
    pub ca_pem: String,
    cert: CertificateDer<'static>,
    key: Vec<u8>,
}

impl Pki {
    /// A fresh CA and a server certificate for `names` (IP addresses or DNS names).
    pub fn new(names: &[&str]) -> Self {
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "pypi-publish test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let leaf = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let cert = leaf
            .signed_by(&leaf_key, &Issuer::from_params(&ca, &ca_key))
            .unwrap();
        Pki {
            ca_pem: ca_cert.pem(),
            cert: cert.der().clone(),
            key: leaf_key.serialize_der(),
        }
    }
}

/// A running TLS front; stops when dropped.
pub struct TlsFront {
    /// `https://127.0.0.1:PORT`, no trailing slash.
    pub url: String,
    _server: super::http1::Background,
}

impl TlsFront {
    /// Serves `pki`'s certificate on loopback and forwards to `upstream` (`http://host:port`).
    pub fn start(pki: &Pki, upstream: &str) -> Self {
        let upstream: SocketAddr = upstream
            .strip_prefix("http://")
            .unwrap()
            .trim_end_matches('/')
            .parse()
            .unwrap();
        let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
        let mut config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![pki.cert.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.key.clone())),
            )
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let (server, addr) = super::http1::Background::serve(|listener| async move {
            while let Ok((client, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A failed handshake (an untrusting client) just ends the connection.
                    let Ok(mut tls) = acceptor.accept(client).await else {
                        return;
                    };
                    let Ok(mut plain) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        TlsFront {
            url: format!("https://{addr}"),
            _server: server,
        }
    }
}

/// An HTTP `CONNECT` proxy (what `HTTPS_PROXY` names) that tunnels every request, whatever
/// host it names, to one upstream — with a [`TlsFront`] whose certificate is for
/// `test.pypi.org`, the binary talks to "TestPyPI" and reaches the test index. Counts the
/// tunnels and remembers the hosts asked for.
pub struct ConnectProxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    hosts: Arc<std::sync::Mutex<Vec<String>>>,
    _server: super::http1::Background,
}

impl ConnectProxy {
    /// Tunnels to `upstream` (`https://host:port`, a [`TlsFront`]'s URL).
    pub fn start(upstream: &str) -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let upstream: SocketAddr = upstream
            .strip_prefix("https://")
            .unwrap()
            .trim_end_matches('/')
            .parse()
            .unwrap();
        let hosts = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = hosts.clone();
        let (server, addr) = super::http1::Background::serve(|listener| async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if client.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let Some(target) = head.strip_prefix("CONNECT ") else {
                        let _ = client
                            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
                            .await;
                        return;
                    };
                    let host = target.split_whitespace().next().unwrap_or("").to_string();
                    seen.lock().unwrap().push(host);
                    let Ok(mut tunnel) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    if client
                        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                        .await
                        .is_ok()
                    {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut tunnel).await;
                    }
                });
            }
        });
        ConnectProxy {
            url: format!("http://{addr}"),
            hosts,
            _server: server,
        }
    }

    /// The `host:port` of every tunnel asked for so far.
    pub fn hosts(&self) -> Vec<String> {
        self.hosts.lock().unwrap().clone()
    }
}
