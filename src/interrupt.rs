//! Interruption: the first SIGINT or SIGTERM stops a publish cleanly — no new upload starts,
//! the ones in flight are abandoned and then looked up on the index, and the report says
//! what was and was not uploaded. A second signal quits at once. The exit status follows the
//! shell convention, 128 + the signal number (130 for SIGINT, 143 for SIGTERM).
//!
//! The token is process-wide because a signal is: [`crate::index::Index`] takes it by
//! default, so every upload and lookup of the run sees the same cancellation.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, Ordering};

use tokio_util::sync::CancellationToken;

/// A signal that stops a publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C; what a GitHub runner sends first on cancel).
    Interrupt,
    /// SIGTERM (`kill`, container stop, the runner's second step).
    Terminate,
}

impl Signal {
    /// Its name, as people know it.
    pub fn name(self) -> &'static str {
        match self {
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

/// Starts listening for SIGINT and SIGTERM; call from inside the runtime.
// The signal's acknowledgement goes straight to the terminal: no reporter is in reach of a
// signal handler, and the user must see it at once.
#[allow(clippy::print_stderr)]
pub fn listen() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::spawn(async move {
        loop {
            let signal = tokio::select! {
                _ = interrupt.recv() => Signal::Interrupt,
                _ = terminate.recv() => Signal::Terminate,
            };
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
