//! A minimal SMTP server for the tests: it accepts every message and keeps it in memory.
//! Just enough of RFC 5321 for lettre's client (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).

use std::sync::{Arc, Mutex};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

/// The messages received so far, as sent (headers and body).
pub type Inbox = Arc<Mutex<Vec<String>>>;

/// Serves on `port` of the loopback until the test ends.
pub async fn start(port: u16) -> Inbox {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("the SMTP port is free again");
    let inbox = Inbox::default();
    let kept = inbox.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(session(stream, kept.clone()));
        }
    });
    inbox
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
