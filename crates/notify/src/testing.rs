//! A small SMTP server for tests, on 127.0.0.1:0, with STARTTLS under a
//! certificate for `localhost` signed by a CA made at start. It refuses
//! mail before STARTTLS, so a test that receives a message has proved the
//! connection was encrypted. Written here because no maintained crate
//! offers an async server with STARTTLS that a test can embed.

use std::sync::{Arc, Mutex};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub recipients: Vec<String>,
    /// The message after dot-unstuffing: headers and MIME body.
    pub data: Vec<u8>,
    /// The decoded `AUTH PLAIN` user, when the client authenticated.
    pub user: Option<String>,
}

pub struct SmtpServer {
    pub port: u16,
    /// The CA that signed the server's certificate, to trust.
    pub ca_pem: String,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpServer {
    pub async fn start() -> Self {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Pharos SMTP Test CA");
        let ca_key = KeyPair::generate().expect("key");
        let ca = ca_params.self_signed(&ca_key).expect("ca");
        let mut leaf_params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let leaf_key = KeyPair::generate().expect("key");
        let leaf = leaf_params
            .signed_by(&leaf_key, &ca, &ca_key)
            .expect("signed");

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(leaf.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
            )
            .expect("server config");
        let acceptor = TlsAcceptor::from(Arc::new(config));

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let store = Arc::clone(&received);
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let _ = session(tcp, acceptor, store).await;
                });
            }
        });
        Self {
            port,
            ca_pem: ca.pem(),
            received,
            task,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}

/// The plain part of a session, up to STARTTLS; then the rest over TLS.
async fn session(
    tcp: TcpStream,
    acceptor: TlsAcceptor,
    store: Arc<Mutex<Vec<Received>>>,
) -> std::io::Result<()> {
    let mut plain = BufReader::new(tcp);
    plain
        .get_mut()
        .write_all(b"220 localhost ESMTP pharos-test\r\n")
        .await?;
    match converse(&mut plain, false, &store).await? {
        Next::StartTls => {
            // The client waits for our 220 before its handshake, so nothing
            // is left in the buffer.
            let tls = acceptor.accept(plain.into_inner()).await?;
            let mut secure = BufReader::new(tls);
            converse(&mut secure, true, &store).await.map(drop)
        }
        Next::Done => Ok(()),
    }
}

enum Next {
    StartTls,
    Done,
}

async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut BufReader<S>,
    secure: bool,
    store: &Mutex<Vec<Received>>,
) -> std::io::Result<Next> {
    let mut mail_from = String::new();
    let mut recipients: Vec<String> = Vec::new();
    let mut user: Option<String> = None;
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await? == 0 {
            return Ok(Next::Done);
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" | "HELO" if secure => {
                "250-localhost\r\n250-AUTH PLAIN\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".to_owned()
            }
            "EHLO" | "HELO" => "250-localhost\r\n250-STARTTLS\r\n250 8BITMIME\r\n".to_owned(),
            "STARTTLS" if !secure => {
                stream.get_mut().write_all(b"220 ready for TLS\r\n").await?;
                return Ok(Next::StartTls);
            }
            "AUTH" if secure => {
                let response = command.split_whitespace().nth(2).unwrap_or("");
                user = decode_plain_user(response);
                "235 2.7.0 authenticated\r\n".to_owned()
            }
            "MAIL" if !secure => "530 5.7.0 must issue STARTTLS first\r\n".to_owned(),
            "MAIL" => {
                mail_from = between_brackets(&command);
                recipients.clear();
                "250 ok\r\n".to_owned()
            }
            "RCPT" => {
                recipients.push(between_brackets(&command));
                "250 ok\r\n".to_owned()
            }
            "DATA" => {
                stream.get_mut().write_all(b"354 end with .\r\n").await?;
                let data = read_data(stream).await?;
                store.lock().expect("lock").push(Received {
                    mail_from: mail_from.clone(),
                    recipients: recipients.clone(),
                    data,
                    user: user.clone(),
                });
                "250 2.0.0 queued\r\n".to_owned()
            }
            "RSET" | "NOOP" => "250 ok\r\n".to_owned(),
            "QUIT" => {
                stream.get_mut().write_all(b"221 bye\r\n").await?;
                return Ok(Next::Done);
            }
            _ => "502 5.5.1 not implemented\r\n".to_owned(),
        };
        stream.get_mut().write_all(reply.as_bytes()).await?;
    }
}

/// Lines up to the lone `.`, with leading dots unstuffed.
async fn read_data<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut BufReader<S>,
) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    loop {
        let mut line = Vec::new();
        if stream.read_until(b'\n', &mut line).await? == 0 {
            return Ok(data);
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(data);
        }
        let line = line.strip_prefix(b".").unwrap_or(&line);
        data.extend_from_slice(line);
    }
}

fn between_brackets(command: &str) -> String {
    command
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(inside, _)| inside.to_owned())
        .unwrap_or_default()
}

/// `AUTH PLAIN` carries base64 of `authzid \0 user \0 password`.
fn decode_plain_user(response: &str) -> Option<String> {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(response)
        .ok()?;
    let parts: Vec<&[u8]> = raw.split(|b| *b == 0).collect();
    parts
        .get(1)
        .map(|user| String::from_utf8_lossy(user).into_owned())
}
