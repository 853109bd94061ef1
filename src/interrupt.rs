//! Interruption: the first SIGINT or SIGTERM (on Windows, Ctrl-C or Ctrl-Break) stops a
//! publish cleanly — no new upload starts, the ones in flight are abandoned and then looked
//! up on the index, and the report says what was and was not uploaded. A second signal quits
//! at once. The exit status follows the shell convention, 128 + the signal number (130 for
//! SIGINT, 143 for SIGTERM), on Windows too (Ctrl-C is 130, Ctrl-Break 143), so scripts and
//! the action read one set of codes everywhere.
//!
//! The token is process-wide because a signal is: [`crate::index::Index`] takes it by
//! default, so every upload and lookup of the run sees the same cancellation.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, Ordering};

use tokio_util::sync::CancellationToken;

/// A signal that stops a publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT, or Ctrl-C on Windows (what a GitHub runner sends first on cancel).
    Interrupt,
    /// SIGTERM (`kill`, container stop), or Ctrl-Break on Windows (the runner's second step
    /// on cancel, there).
    Terminate,
}

impl Signal {
    /// Its name, as people know it on this platform.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt if cfg!(windows) => "Ctrl-C",
            Signal::Terminate if cfg!(windows) => "Ctrl-Break",
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// 128 + the signal number.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }
}

static TOKEN: OnceLock<CancellationToken> = OnceLock::new();
/// 0 until a signal arrives, then its exit code.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// The process-wide token, cancelled by the first signal.
pub fn token() -> CancellationToken {
    TOKEN.get_or_init(CancellationToken::new).clone()
}

/// The signal that stopped the run, if one did.
pub fn received() -> Option<Signal> {
    match RECEIVED.load(Ordering::SeqCst) {
        130 => Some(Signal::Interrupt),
        143 => Some(Signal::Terminate),
        _ => None,
    }
}

/// The two signal streams of this platform.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(windows)]
    interrupt: tokio::signal::windows::CtrlC,
    #[cfg(windows)]
    terminate: tokio::signal::windows::CtrlBreak,
}

impl Signals {
    #[cfg(unix)]
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    #[cfg(windows)]
    fn new() -> std::io::Result<Self> {
        use tokio::signal::windows::{ctrl_break, ctrl_c};
        Ok(Signals {
            interrupt: ctrl_c()?,
            terminate: ctrl_break()?,
        })
    }

    async fn next(&mut self) -> Signal {
        tokio::select! {
            _ = self.interrupt.recv() => Signal::Interrupt,
            _ = self.terminate.recv() => Signal::Terminate,
        }
    }
}

/// Starts listening for SIGINT and SIGTERM (Ctrl-C and Ctrl-Break on Windows); call from
/// inside the runtime.
// The signal's acknowledgement goes straight to the terminal: no reporter is in reach of a
// signal handler, and the user must see it at once.
#[allow(clippy::print_stderr)]
pub fn listen() -> std::io::Result<()> {
    let mut signals = Signals::new()?;
    tokio::spawn(async move {
        loop {
            let signal = signals.next().await;
            let code = i32::from(signal.exit_code());
            if RECEIVED
                .compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                eprintln!(
                    "\n{}: stopping: no new uploads; uploads in flight are abandoned and looked up on the index (signal again to quit at once)",
                    signal.name()
                );
                token().cancel();
            } else {
                eprintln!(
                    "{}: quitting at once: uploads in flight may or may not have landed; re-run the same command to finish",
                    signal.name()
                );
                std::process::exit(code);
            }
        }
    });
    Ok(())
}
