//! A minimal SMTP server for the tests: it accepts every message and keeps it in memory.
//! Just enough of RFC 5321 for lettre's client (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, Ordering},
};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

/// The messages received so far, as sent (headers and body).
pub type Inbox = Arc<Mutex<Vec<String>>>;

/// A test's SMTP server on a port of its own, down until `come_up`: while down it answers
/// every connection "421" and hangs up, so delivery fails at once. It keeps its port from the
/// start, so no other test's server can take it (a port freed and bound again later was taken
/// once, and lettre then waited for a greeting from an HTTP server).
#[derive(Clone)]
pub struct Smtp {
    pub port: u16,
    up: Arc<AtomicBool>,
    pub inbox: Inbox,
}

impl Smtp {
    /// Listens from now until the process ends, refusing every mail.
    pub async fn down() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port for SMTP");
        let smtp = Smtp { port: listener.local_addr().unwrap().port(), up: Arc::default(), inbox: Inbox::default() };
        let served = smtp.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                if served.up.load(Ordering::SeqCst) {
                    tokio::spawn(session(stream, served.inbox.clone()));
                } else {
                    let _ = stream.write_all(b"421 4.3.2 down for the test\r\n").await;
                }
            }
        });
        smtp
    }

    /// Accepts every mail from now on.
    pub fn come_up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }
}

async fn session(stream: TcpStream, inbox: Inbox) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 sink ESMTP\r\n").await?;
    while let Some(line) = lines.next_line().await? {
        let command = line.to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
            b"250-sink\r\n250 8BITMIME\r\n"
        } else if command.starts_with("DATA") {
            write.write_all(b"354 end with .\r\n").await?;
            let mut message = String::new();
            while let Some(data) = lines.next_line().await? {
                if data == "." {
                    break;
                }
                message.push_str(data.strip_prefix('.').unwrap_or(&data));
                message.push('\n');
            }
            inbox.lock().unwrap().push(message);
            b"250 queued\r\n"
        } else if command.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"250 ok\r\n"
        };
        write.write_all(reply).await?;
    }
    Ok(())
}
