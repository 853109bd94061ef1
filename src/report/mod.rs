//! Telling people what happened. The library never owns the terminal: a publish reports
//! events to a [`Reporter`], and the command layer picks the terminal one (progress bars on a
//! TTY, plain lines otherwise) or the GitHub one (annotations, outputs, job summary).

pub mod errors;
pub mod table;
pub mod terminal;

pub use crate::events::{Reporter, Silent};
